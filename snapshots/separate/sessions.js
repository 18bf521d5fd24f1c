'use strict';
// Fixture "sessions" (snapshots/separate/README.md): an HTTP service that leaks, per request
// to /login, one `onConfigChange` listener on the module-level `configBus` EventEmitter, one
// `UserSession` in the module-level `sessions` Map and one `refreshSession` interval that is
// never cleared. Other paths allocate garbage only.
// Usage: node sessions.js [PORT]   (0 or none: a free port; prints "listening PORT").
const http = require('node:http');
const { EventEmitter } = require('node:events');

class UserSession {
  constructor(id, user) {
    this.id = id;
    this.user = user;
    this.createdAt = Date.now();
    this.scopes = ['read', 'write'];
  }
}

const sessions = new Map();
const configBus = new EventEmitter();
configBus.setMaxListeners(0);
let served = 0;

function handleLogin(req, res) {
  const n = ++served;
  const id = `s-${n}`;
  const session = new UserSession(id, `user${n % 97}`);
  sessions.set(id, session);
  configBus.on('config-change', function onConfigChange(cfg) {
    session.config = cfg;
  });
  setInterval(function refreshSession() {
    session.refreshedAt = Date.now();
  }, 3600_000);
  res.end(`ok ${id}\n`);
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/login')) return handleLogin(req, res);
  const tmp = Array.from({ length: 50 }, (_, i) => ({ i }));
  res.end(`healthy ${tmp.length} ${sessions.size}\n`);
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
