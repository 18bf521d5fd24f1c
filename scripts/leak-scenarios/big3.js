#!/usr/bin/env node
'use strict';
// Benchmark input for `heapsnap leaks`: three big snapshots (baseline, target, final) of ONE
// process with a leak growing between them. Far too big for the repository: written outside
// it (default /tmp/heapsnap-bench/leaks-{baseline,target,final}.heapsnapshot).
//
//   node --max-old-space-size=16000 scripts/leak-scenarios/big3.js [UNITS] [OUTDIR]
//
// UNITS (default 19000) bundles of application objects (users, orders, Maps, Sets, closures,
// strings: ~680 nodes each, ~1 GB of snapshot for the default), built from a seeded PRNG.
// Between the snapshots 1% more units are built and leaked the usual ways: records pushed
// onto a global array, listeners added to a global EventEmitter, intervals never cleared.
const fs = require('fs');
const path = require('path');
const v8 = require('v8');
const EventEmitter = require('events');

const units = Number(process.argv[2] || 19000);
const outDir = path.resolve(process.argv[3] || '/tmp/heapsnap-bench');
const repo = path.resolve(__dirname, '..', '..');
if (outDir === repo || outDir.startsWith(repo + path.sep)) {
  console.error('big3.js: refusing to write benchmark snapshots inside the repository');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

let seed = 0x9e3779b9;
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randInt = (n) => Math.floor(rand() * n);
const pick = (a) => a[randInt(a.length)];
const dup = (s) => s.split('').join('');
const NAMES = ['Ada', 'Alan', 'Grace', 'Linus', 'Barbara', 'Dennis', 'Ken', 'Margaret'];
const CITIES = ['Berlin', 'Paris', 'Lagos', 'Lima', 'Osaka', 'Austin', 'Nairobi', 'Oslo'];
const TAGS = ['admin', 'beta', 'vip', 'trial', 'eu', 'us', 'apac', 'mobile', 'desktop', 'sso'];
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'returned'];

class Address {
  constructor() {
    this.street = `${1 + randInt(999)} Main St`;
    this.city = pick(CITIES);
    this.geo = { lat: rand() * 180 - 90, lon: rand() * 360 - 180 };
  }
}
class User {
  constructor(id) {
    this.id = id;
    this.name = `${pick(NAMES)} ${pick(NAMES)}`;
    this.email = dup(`user${id}.${randInt(1e9).toString(36)}@example.com`);
    this.address = new Address();
    this.tags = [pick(TAGS), pick(TAGS), pick(TAGS)];
    this.balance = rand() * 1000;
    this.createdAt = new Date(1.6e12 + randInt(1e11));
    this.friends = [];
  }
}
class Order {
  constructor(id, user) {
    this.id = `ord_${id.toString(36)}_${randInt(1e6)}`;
    this.user = user;
    this.status = pick(STATUSES);
    this.items = [];
    for (let i = 0, n = 1 + randInt(4); i < n; i++) this.items.push({ sku: `SKU-${randInt(500)}`, qty: 1 + randInt(5), price: rand() * 100 });
    this.meta = { source: pick(['web', 'ios', 'api']), notes: null };
  }
}
class LeakedSession {
  constructor(unit) { this.unit = unit; this.opened = Date.now(); }
}
function makeCounter(start, label) {
  let count = start;
  const history = [];
  return function increment(step) {
    count += step;
    if (history.length < 4) history.push(count);
    return `${label}:${count}`;
  };
}
function buildUnit(u, heap) {
  const users = [];
  for (let i = 0; i < 10; i++) {
    const user = new User(u * 10 + i);
    users.push(user);
    heap.usersById.set(user.id, user);
  }
  for (const user of users) user.friends.push(pick(users), pick(users));
  const orders = [];
  for (let i = 0; i < 15; i++) orders.push(new Order(u * 15 + i, pick(users)));
  const byStatus = new Map();
  for (const o of orders) {
    if (!byStatus.has(o.status)) byStatus.set(o.status, []);
    byStatus.get(o.status).push(o);
  }
  const logs = [];
  for (let i = 0; i < 20; i++) logs.push({ level: pick(['info', 'warn']), message: `request ${u * 20 + i} took ${randInt(5000)}ms` });
  const counters = [];
  for (let i = 0; i < 5; i++) counters.push(makeCounter(randInt(100), pick(TAGS)));
  const unit = { users, orders, byStatus, logs, counters, name: `unit-${u}` };
  heap.units.push(unit);
  return unit;
}

const heap = { units: [], usersById: new Map() };
globalThis.__heapsnapBenchHeap = heap;
globalThis.sessionLog = [];
globalThis.bus = new EventEmitter();
globalThis.bus.setMaxListeners(0);
let next = 0;
function leak(n) {
  for (let i = 0; i < n; i++) {
    const unit = buildUnit(units + next, heap);
    const session = new LeakedSession(unit);
    globalThis.sessionLog.push(session);
    globalThis.bus.on('tick', function onTick() { session.opened++; });
    setInterval(function poll() { session.opened--; }, 3600 * 1000);
    next++;
  }
}

function snapshot(phase) {
  const t = process.hrtime.bigint();
  const file = path.join(outDir, `leaks-${phase}.heapsnapshot`);
  const tmp = `${file}.tmp-${process.pid}`;
  v8.writeHeapSnapshot(tmp);
  fs.renameSync(tmp, file);
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(JSON.stringify({ phase, file, bytes: fs.statSync(file).size, write_s: s }));
}

for (let u = 0; u < units; u++) buildUnit(u, heap);
snapshot('baseline');
leak(Math.max(1, Math.round(units / 100)));
snapshot('target');
leak(Math.max(1, Math.round(units / 100)));
snapshot('final');
process.exit(0);
