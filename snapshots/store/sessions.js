'use strict';
// An in-memory session store shaped like express-session's MemoryStore: sessions by id,
// and nothing ever expires them (no TTL, no cleanup timer): the leak.
class MemoryStore {
  constructor() {
    this.sessions = new Map();
  }

  set(sid, session) {
    this.sessions.set(sid, session);
  }

  get(sid) {
    return this.sessions.get(sid);
  }
}

const store = new MemoryStore();

module.exports = { store };
