// A Node service that holds secrets the way real ones do, for `heapsnap redact` / `--redact`
// tests. Writes two snapshots of one process (ids comparable): OUT_DIR/secrets-baseline and
// OUT_DIR/secrets-target (.heapsnapshot), with sessions added in between.
//
// Every secret is built at run time from a seeded generator and contains a marker
// (SECRETVAL, SECRETKEY, SECRETDICT, SECRETCONS, SECRETPROP) that tests search for in every
// output of every command run with --redact: none may survive.
//   - SECRETVAL: a string value (an API key in a config object);
//   - SECRETKEY: a Map key (session tokens -> Session);
//   - SECRETDICT: a property name of a dictionary-mode object (users by e-mail address),
//     whose values are objects, so the key is also an edge name;
//   - SECRETCONS: a concatenated string (an Authorization header built with +);
//   - SECRETPROP: a dictionary key whose value is a small integer (no edge, only the key string);
//   - SECRETPEM: a TLS private key in PEM form, big enough (about 3 KiB) that a string of its
//     own is among the largest objects: a report's treemap names it by its value.
'use strict';
const v8 = require('v8');
const path = require('path');
const outDir = process.argv[2] || '.';

let seed = 0x5eed;
function rand() {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed;
}
function hex(n) {
  let s = '';
  while (s.length < n) s += rand().toString(16);
  return s.slice(0, n);
}

class Session {
  constructor(user) {
    this.user = user;
    this.created = 1700000000000 + rand();
  }
}
class User {
  constructor(name) {
    this.name = name;
  }
}

const config = { apiKey: ['sk_live', 'SECRETVAL', hex(24)].join('_'), region: 'eu-west-1' };
// As read from a key file: 64-character lines of (here hex, not base64) key material.
// (join makes one flat string, as reading a file does.)
const pem = ['-----BEGIN PRIVATE KEY-----', 'SECRETPEM' + hex(55)];
for (let i = 0; i < 48; i++) pem.push(hex(64));
config.tlsKey = pem.concat(['-----END PRIVATE KEY-----', '']).join('\n');
const sessions = new Map();
const usersByEmail = {};
const counters = {};
const headers = [];

function login(i) {
  const email = `user${i}.SECRETDICT.${hex(6)}@example.com`;
  const user = new User(`name-${i}`);
  usersByEmail[email] = user;
  counters[`SECRETPROP-${hex(8)}`] = i;
  sessions.set(`tok_SECRETKEY_${hex(16)}`, new Session(user));
  // A cons string: V8 keeps `a + b` unflattened while it is long enough.
  headers.push('Bearer SECRETCONS ' + hex(32) + ' for ' + email);
}

for (let i = 0; i < 40; i++) login(i);
// Enough deletions and keys to put the dictionaries in dictionary mode.
for (let i = 0; i < 100; i++) usersByEmail[`tmp${i}`] = null;
for (let i = 0; i < 100; i++) delete usersByEmail[`tmp${i}`];
module.exports = { config, sessions, usersByEmail, counters, headers };

v8.writeHeapSnapshot(path.join(outDir, 'secrets-baseline.heapsnapshot'));
for (let i = 40; i < 80; i++) login(i);
v8.writeHeapSnapshot(path.join(outDir, 'secrets-target.heapsnapshot'));
