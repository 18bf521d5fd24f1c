'use strict';
// Fixture "leak" for every Node version: a module-level Map that only grows.
// Each request stores a new UserSession under a fresh key; a few users log out
// (their entries are deleted), but most sessions are never deleted.
//   (this module's scope) userSessions (Map) -> table -> UserSession
// Keys are built by concatenation and are 13 characters or longer, so V8 keeps
// them as concatenated strings (cons strings) rather than flat ones. The
// deleted entries stay in the Map's table as holes until it is rehashed (an
// oddball `hole` in older V8, `system / Hole` nodes from V8 12 on): a reader
// must not count them as entries.
// Phases, one process (node ids match between the two files):
//   baseline: after a warm-up whose 20 entries are cleared (0 UserSession)
//   target  : after 200 more requests and 20 logouts   (180 UserSession, 180
//             entries, 20 holes)
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

function keyOf(id) {
  return 'session-for-user:' + id;
}

function handleRequest() {
  const id = next++;
  const key = keyOf(id);
  if (!userSessions.has(key)) userSessions.set(key, new UserSession(id, 'user-' + id));
  userSessions.get(key).hits++;
}

function logout(id) {
  userSessions.delete(keyOf(id));
}

for (let i = 0; i < 20; i++) handleRequest();
userSessions.clear();
takeSnapshot(process.argv[2]);
for (let i = 0; i < 200; i++) handleRequest();
// Every tenth user of this round logs out: 20 entries deleted, 180 left.
for (let i = 20; i < 220; i += 10) logout(i);
takeSnapshot(process.argv[3]);
