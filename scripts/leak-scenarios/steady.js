'use strict';
// Control fixture "steady": a program in a steady state. It holds everything the leak
// detectors look for, in numbers over their single-snapshot thresholds, and keeps turning it
// over, but it has exactly as much of each in every phase:
//   - 30 open TCP connections (SteadyClientSocket <-> server Socket in the Set
//     global.steadyPool.open); each phase closes the 6 oldest and opens 6 new;
//   - 60 setInterval timers (callback steadyTick, 30 s) whose handles are kept in
//     global.steadyTimers; each phase clears the 10 oldest and starts 10 new;
//   - 60 reference cycles (SteadyNode a <-> b) in global.steadyGraph; each phase replaces the
//     10 oldest pairs;
//   - 15 'tick' listeners (onSteadyTick) on global.steadyBus, over Node's default limit of
//     10 (Node prints MaxListenersExceededWarning once); each phase removes the 5 oldest and
//     adds 5 new;
//   - an LRU cache of 100 SteadyCacheEntry (global.steadyCache) that gets 150 new entries per
//     phase.
// With baseline, target and final (or any two), nothing grows: `heapsnap leaks` must report
// nothing. With one snapshot alone, the counts are over the single-snapshot thresholds and
// the structural checks do report them (that is what one snapshot can tell).
//
// Phases (one isolate, ids comparable): warm-up (everything built once), baseline, turn over,
// target, turn over, final. Loopback only, ephemeral port.
// Usage: node --expose-gc scripts/leak-scenarios/steady.js [OUTDIR]
const path = require('path');
const net = require('net');
const EventEmitter = require('events');
const { outDirFromArgv, takeSnapshot, requireGc } =
  require(path.join(__dirname, '..', '..', 'snapshots', 'leaks', 'common', 'harness.js'));

const SCENARIO = 'steady';
const CONNECTIONS = 30, CONN_TURNOVER = 6;
const INTERVALS = 60, INTERVAL_TURNOVER = 10, PERIOD_MS = 30000;
const PAIRS = 60, PAIR_TURNOVER = 10;
const LISTENERS = 15, LISTENER_TURNOVER = 5;
const CACHE_LIMIT = 100, CACHE_INSERTS = 150;

class SteadyClientSocket extends net.Socket {}
class SteadyNode {
  constructor(label) { this.label = label; this.peer = null; }
}
class SteadyCacheEntry {
  constructor(key) { this.key = key; this.hits = 0; }
}
class SteadyState {
  constructor(id) { this.id = id; this.ticks = 0; }
}
class LruCache {
  constructor(limit) { this.limit = limit; this.entries = new Map(); }
  set(key, value) {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value);
  }
}

globalThis.steadyPool = { open: new Set(), clients: [] };
globalThis.steadyTimers = [];
globalThis.steadyGraph = [];
globalThis.steadyBus = new EventEmitter();
globalThis.steadyCache = new LruCache(CACHE_LIMIT);
const steadyListeners = [];
let next = 0;

let waiter = null;
let connected = 0, accepted = 0;
const server = net.createServer((socket) => {
  globalThis.steadyPool.open.add(socket);
  accepted++;
  check();
});
function check() {
  if (waiter && connected >= waiter.want && accepted >= waiter.want) {
    const { resolve } = waiter;
    waiter = null;
    resolve();
  }
}
function openConnections(n) {
  const want = connected + n;
  return new Promise((resolve) => {
    waiter = { want, resolve };
    for (let i = 0; i < n; i++) {
      const client = new SteadyClientSocket();
      globalThis.steadyPool.clients.push(client);
      client.once('connect', () => { connected++; check(); });
      client.connect(server.address().port, '127.0.0.1');
    }
  });
}
async function closeOldest(n) {
  const clients = globalThis.steadyPool.clients.splice(0, n);
  const servers = [...globalThis.steadyPool.open].slice(0, n);
  await Promise.all([...clients, ...servers].map((s) => new Promise((resolve) => {
    s.once('close', resolve);
    s.destroy();
  })));
  for (const s of servers) globalThis.steadyPool.open.delete(s);
}

function startInterval() {
  const state = new SteadyState(next++);
  globalThis.steadyTimers.push(setInterval(function steadyTick() { state.ticks++; }, PERIOD_MS));
}
function addPair() {
  const i = next++;
  const a = new SteadyNode('a' + i), b = new SteadyNode('b' + i);
  a.peer = b;
  b.peer = a;
  globalThis.steadyGraph.push(a);
}
function addListener() {
  const state = new SteadyState(next++);
  const fn = function onSteadyTick() { state.ticks++; };
  steadyListeners.push(fn);
  globalThis.steadyBus.on('tick', fn);
}
function fillCache() {
  for (let i = 0; i < CACHE_INSERTS; i++) {
    const k = 'c' + next++;
    globalThis.steadyCache.set(k, new SteadyCacheEntry(k));
  }
}

async function turnOver() {
  await closeOldest(CONN_TURNOVER);
  await openConnections(CONN_TURNOVER);
  for (const t of globalThis.steadyTimers.splice(0, INTERVAL_TURNOVER)) clearInterval(t);
  for (let i = 0; i < INTERVAL_TURNOVER; i++) startInterval();
  globalThis.steadyGraph.splice(0, PAIR_TURNOVER);
  for (let i = 0; i < PAIR_TURNOVER; i++) addPair();
  for (const fn of steadyListeners.splice(0, LISTENER_TURNOVER)) globalThis.steadyBus.off('tick', fn);
  for (let i = 0; i < LISTENER_TURNOVER; i++) addListener();
  globalThis.steadyBus.emit('tick');
  fillCache();
  await settle();
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
async function settle() { await turn(); await turn(); }

async function main() {
  requireGc();
  const outDir = outDirFromArgv();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Warm-up: build the steady state, then turn it over once so that every code path ran.
  await openConnections(CONNECTIONS);
  for (let i = 0; i < INTERVALS; i++) startInterval();
  for (let i = 0; i < PAIRS; i++) addPair();
  for (let i = 0; i < LISTENERS; i++) addListener();
  fillCache();
  await turnOver();
  takeSnapshot(outDir, SCENARIO, 'baseline');
  await turnOver();
  takeSnapshot(outDir, SCENARIO, 'target');
  await turnOver();
  takeSnapshot(outDir, SCENARIO, 'final');
  process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });
