'use strict';
// Fixture "leak" for every Node version: a module-level Map that only grows.
// Each request stores a new UserSession under a fresh key and nothing ever
// deletes it.
//   (this module's scope) userSessions (Map) -> table -> UserSession
// Phases, one process (node ids match between the two files):
//   baseline: after a warm-up whose 20 entries are cleared (0 UserSession)
//   target  : after 200 more requests                       (200 UserSession)
// Usage: node --expose-gc leak.js BASELINE.heapsnapshot TARGET.heapsnapshot
const { takeSnapshot } = require('./take.js');

class UserSession {
  constructor(id, user) {
    this.id = id;
    this.user = user;
    this.roles = ['reader', id % 2 ? 'writer' : 'guest'];
    this.hits = 0;
  }
}

const userSessions = new Map();
let next = 0;

function handleRequest() {
  const id = next++;
  const key = 'session:' + id;
  if (!userSessions.has(key)) userSessions.set(key, new UserSession(id, 'user-' + id));
  userSessions.get(key).hits++;
}

for (let i = 0; i < 20; i++) handleRequest();
userSessions.clear();
takeSnapshot(process.argv[2]);
for (let i = 0; i < 200; i++) handleRequest();
takeSnapshot(process.argv[3]);
