'use strict';
// Leak fixture "map-cache": an unbounded cache. A SessionCache wraps a Map and
// is only ever added to: no eviction, no TTL, no size limit.
//
// remember(i) stores new CacheEntry(...) under the key "session:<i>" in
// globalThis.sessionCache.entries (a Map). The entry owns a small roles array.
//   global.sessionCache.entries (Map) -> <table> -> CacheEntry
//   CacheEntry.roles (Array) -> (object elements)
// Keys and user names are short (< 13 chars), so flat strings, one per entry.
//
// Phases (one isolate, ids comparable):
//   warm-up : remember() x 20, then entries.clear()
//   baseline: 0 CacheEntry
//   target  : after remember() x 200         (200 entries)
//   final   : only with --final (not committed, to keep snapshots/leaks/
//             under ~20 MB): after remember() x 200 more  (400 entries)
// Usage: node --expose-gc snapshots/leaks/map-cache.js [OUTDIR] [--final]
const { outDirFromArgv, takeSnapshot, requireGc } = require('./common/harness.js');

const SCENARIO = 'map-cache';
const WARMUP = 20;
const N = 200;
const WRITE_FINAL = process.argv.includes('--final');

class CacheEntry {
  constructor(key, userName, roles) {
    this.key = key;
    this.userName = userName;
    this.roles = roles;
    this.hits = 0;
  }
}

class SessionCache {
  constructor() {
    this.entries = new Map();
  }

  set(key, entry) {
    this.entries.set(key, entry);   // never evicted
  }

  get(key) {
    const entry = this.entries.get(key);
    if (entry) entry.hits++;
    return entry;
  }
}

globalThis.sessionCache = new SessionCache();
let next = 0;

function remember() {
  const i = next++;
  const key = 'session:' + i;
  globalThis.sessionCache.set(key, new CacheEntry(key, 'user-' + i, ['reader', i % 2 ? 'writer' : 'guest']));
  globalThis.sessionCache.get(key);
}

function warmUp() {
  for (let i = 0; i < WARMUP; i++) remember();
  globalThis.sessionCache.entries.clear();
}

function run(n) {
  for (let i = 0; i < n; i++) remember();
}

function main() {
  requireGc();
  const outDir = outDirFromArgv();

  warmUp();
  takeSnapshot(outDir, SCENARIO, 'baseline');
  run(N);
  takeSnapshot(outDir, SCENARIO, 'target');
  if (WRITE_FINAL) {
    run(N);
    takeSnapshot(outDir, SCENARIO, 'final');
  }
}

main();
