#!/usr/bin/env node
// Build a big, realistic JS heap and write it with v8.writeHeapSnapshot().
// The output is benchmark input for scripts/bench/parse.sh; it is far too big
// for the repository and is written OUTSIDE it (default /tmp/heapsnap-bench/).
//
// Usage:
//   node --max-old-space-size=16000 scripts/bench/gen-big.js [PRESET|SCALE] [OUT]
//
//   PRESET  big  (default) ~1 GB,   ~13M nodes / ~42M edges -> /tmp/heapsnap-bench/big.heapsnapshot
//           mid            ~100 MB, ~1.3M nodes / ~4M edges -> /tmp/heapsnap-bench/mid.heapsnapshot
//           tiny           ~10 MB (quick smoke test)        -> /tmp/heapsnap-bench/tiny.heapsnapshot
//   SCALE   a number of "units" instead of a preset (big = 19500, mid = 1900,
//           tiny = 150); the output is then /tmp/heapsnap-bench/scale-SCALE.heapsnapshot.
//   OUT     output path (overrides the default).
//   Environment: HEAPSNAP_BENCH_SCALE=N overrides the scale of any preset.
//                HEAPSNAP_BENCH_GROWTH=P (percent): after writing OUT, build P% more units
//                in the same process and write a second snapshot OUT with `-after` before
//                `.heapsnapshot` (a same-process pair for `heapsnap diff` benchmarks).
//                HEAPSNAP_BENCH_STEPS=K (with GROWTH): grow and write K times, the later
//                ones as `-after2`, `-after3`... (a series for `heapsnap leaks` / `report`).
//
// One unit is a bundle of typical application objects (see buildUnit below):
// ~680 heap-snapshot nodes and ~2160 edges, ~51 KB of snapshot JSON, so the
// file size grows linearly with the scale (plus ~4 MB for node's own heap).
// Everything is derived from a seeded
// PRNG, so the same scale gives the same heap contents (node ids and addresses
// still differ from run to run, as in any V8 snapshot).
//
// Prints progress on stderr and a one-line JSON summary on stdout:
//   {"out":..., "scale":..., "bytes":..., "node_count":..., "edge_count":...,
//    "build_s":..., "write_s":...}
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');

const PRESETS = { big: 19500, mid: 1900, tiny: 150 };
const OUT_DIR = '/tmp/heapsnap-bench';

function usage(msg) {
  if (msg) process.stderr.write(`gen-big.js: ${msg}\n`);
  process.stderr.write(
    'usage: node --max-old-space-size=16000 scripts/bench/gen-big.js [big|mid|tiny|SCALE] [OUT]\n');
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length > 2 || args.includes('-h') || args.includes('--help')) usage();
const which = args[0] ?? 'big';
let scale;
let defaultName;
if (Object.hasOwn(PRESETS, which)) {
  scale = PRESETS[which];
  defaultName = `${which}.heapsnapshot`;
} else if (/^[1-9][0-9]*$/.test(which)) {
  scale = Number(which);
  defaultName = `scale-${scale}.heapsnapshot`;
} else {
  usage(`unknown preset or scale: ${which}`);
}
if (process.env.HEAPSNAP_BENCH_SCALE) {
  if (!/^[1-9][0-9]*$/.test(process.env.HEAPSNAP_BENCH_SCALE)) usage('HEAPSNAP_BENCH_SCALE must be a positive integer');
  scale = Number(process.env.HEAPSNAP_BENCH_SCALE);
}
const out = path.resolve(args[1] ?? path.join(OUT_DIR, defaultName));

// Refuse to write into the repository (these files are 100 MB - 1 GB).
const repoRoot = path.resolve(__dirname, '..', '..');
if (out === repoRoot || out.startsWith(repoRoot + path.sep)) {
  usage(`refusing to write a benchmark snapshot inside the repository (${out}); use a path outside it`);
}
fs.mkdirSync(path.dirname(out), { recursive: true });

// ---------------------------------------------------------------------------
// Deterministic PRNG (mulberry32).
let seed = 0x9e3779b9;
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randInt = (n) => Math.floor(rand() * n);
const pick = (arr) => arr[randInt(arr.length)];

// Duplicated strings: small pools shared by many objects (one node each).
const FIRST = ['Ada', 'Alan', 'Grace', 'Linus', 'Barbara', 'Dennis', 'Ken', 'Margaret', 'Edsger', 'Donald',
  'Frances', 'John', 'Radia', 'Tim', 'Vint', 'Bjarne', 'Guido', 'Brendan', 'Yukihiro', 'Anders'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Liskov', 'Ritchie', 'Thompson', 'Hamilton',
  'Dijkstra', 'Knuth', 'Allen', 'McCarthy', 'Perlman', 'Berners-Lee', 'Cerf', 'Stroustrup'];
const CITIES = ['Berlin', 'Paris', 'Lagos', 'Lima', 'Osaka', 'Austin', 'Nairobi', 'Oslo', 'Quito', 'Pune'];
const STREETS = ['Main St', 'High St', 'Station Rd', 'Church Ln', 'Park Ave', 'Mill Rd', 'Elm St'];
const TAGS = ['admin', 'beta', 'vip', 'trial', 'churned', 'eu', 'us', 'apac', 'mobile', 'desktop',
  'newsletter', 'sso', 'mfa', 'legacy', 'partner', 'internal'];
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'returned', 'cancelled'];
const SKUS = Array.from({ length: 500 }, (_, i) => `SKU-${String(i).padStart(5, '0')}`);
const LEVELS = ['debug', 'info', 'warn', 'error'];

// A new string object with the same contents as s (a duplicated string; also
// a way to get a flat sequential string instead of a cons string).
const dup = (s) => s.split('').join('');

// A few classes, as an application would have.
class Address {
  constructor(street, city, zip) {
    this.street = street;
    this.city = city;
    this.zip = zip;
    this.geo = { lat: rand() * 180 - 90, lon: rand() * 360 - 180 }; // nested object, heap numbers
  }
}

class User {
  constructor(id) {
    this.id = id;
    this.name = `${pick(FIRST)} ${pick(LAST)}`; // few distinct contents, many copies
    this.email = dup(`user${id}.${randInt(1e9).toString(36)}@example.com`); // unique, flat
    this.address = new Address(`${1 + randInt(999)} ${pick(STREETS)}`, pick(CITIES), 10000 + randInt(89999));
    this.tags = [pick(TAGS), pick(TAGS), pick(TAGS)]; // array of shared strings
    this.scores = [randInt(100), randInt(100), randInt(100), randInt(100)]; // packed SMIs
    this.balance = rand() * 1000; // heap number
    this.createdAt = new Date(1.6e12 + randInt(1e11));
    this.active = rand() < 0.8;
    this.friends = []; // filled later: references between users
  }
}

class OrderItem {
  constructor() {
    this.sku = pick(SKUS);
    this.qty = 1 + randInt(5);
    this.price = Math.round(rand() * 10000) / 100;
  }
}

class Order {
  constructor(id, user) {
    this.id = `ord_${id.toString(36)}_${randInt(1e6)}`; // unique
    this.user = user;
    this.status = pick(STATUSES);
    const n = 1 + randInt(4);
    this.items = [];
    for (let i = 0; i < n; i++) this.items.push(new OrderItem());
    this.total = this.items.reduce((s, it) => s + it.qty * it.price, 0);
    this.meta = { source: pick(['web', 'ios', 'android', 'api']), retries: randInt(3), notes: null };
  }
}

class LogEntry {
  constructor(i) {
    this.level = pick(LEVELS);
    this.message = `request ${i} took ${randInt(5000)}ms`; // unique
    this.ts = 1.7e12 + i;
    this.fields = { path: `/api/v1/${pick(['users', 'orders', 'items'])}/${randInt(1e5)}`, status: pick([200, 201, 304, 404, 500]) };
  }
}

// Closures with contexts: each call makes a JSFunction plus a Context holding
// the captured variables.
function makeCounter(start, label) {
  let count = start;
  const history = [];
  return function increment(step) {
    count += step;
    if (history.length < 4) history.push(count);
    return `${label}:${count}`;
  };
}

function makeHandler(user, order) {
  const created = Date.now();
  return {
    onEvent: (ev) => (ev === 'refresh' ? order.total : user.balance + created),
    describe() { return `${user.name} ${order.id}`; },
  };
}

// ---------------------------------------------------------------------------
// One unit: 10 users, 15 orders, a Map and a Set index, 20 log entries,
// closures, a nested config tree, and some standalone strings.
function buildUnit(u, heap) {
  const users = [];
  for (let i = 0; i < 10; i++) {
    const user = new User(u * 10 + i);
    users.push(user);
    heap.usersById.set(user.id, user); // one global Map (large hash table)
  }
  for (const user of users) {
    user.friends.push(pick(users), pick(users));
    if (heap.allUsers.length > 0) user.friends.push(heap.allUsers[randInt(heap.allUsers.length)]);
  }
  heap.allUsers.push(...users);

  const orders = [];
  for (let i = 0; i < 15; i++) orders.push(new Order(u * 15 + i, pick(users)));

  const byStatus = new Map();
  for (const o of orders) {
    let list = byStatus.get(o.status);
    if (!list) byStatus.set(o.status, (list = []));
    list.push(o);
  }
  const tagSet = new Set();
  for (const user of users) for (const t of user.tags) tagSet.add(t);

  const logs = [];
  for (let i = 0; i < 20; i++) logs.push(new LogEntry(u * 20 + i));

  const counters = [];
  for (let i = 0; i < 5; i++) counters.push(makeCounter(randInt(100), pick(TAGS)));
  const handlers = [makeHandler(users[0], orders[0]), makeHandler(users[1], orders[1])];

  const config = {
    name: `unit-${u}`,
    limits: { maxUsers: 10, maxOrders: 15, burst: [1, 2, 4, 8] },
    features: { darkMode: rand() < 0.5, beta: { enabled: true, cohort: pick(TAGS), ratio: rand() } },
  };

  // Standalone strings: a unique one and a duplicate of a pooled value
  // (a separate string object with the same contents).
  const strings = [`token-${u}-${rand().toString(36).slice(2)}`, dup(pick(CITIES))];

  heap.units.push({ users, orders, byStatus, tagSet, logs, counters, handlers, config, strings });
}

function main() {
  const t0 = process.hrtime.bigint();
  const heap = { units: [], allUsers: [], usersById: new Map() };
  globalThis.__heapsnapBenchHeap = heap; // keep it reachable from the global object
  const step = Math.max(1, Math.floor(scale / 10));
  for (let u = 0; u < scale; u++) {
    buildUnit(u, heap);
    if ((u + 1) % step === 0) process.stderr.write(`gen-big.js: built ${u + 1}/${scale} units\n`);
  }
  const t1 = process.hrtime.bigint();
  const mem = process.memoryUsage();
  process.stderr.write(`gen-big.js: heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB; writing ${out}\n`);

  const tmp = `${out}.tmp-${process.pid}`;
  v8.writeHeapSnapshot(tmp);
  fs.renameSync(tmp, out);
  const t2 = process.hrtime.bigint();

  // Read node_count / edge_count from the header (first few KB).
  const fd = fs.openSync(out, 'r');
  const buf = Buffer.alloc(4096);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  fs.closeSync(fd);
  const head = buf.subarray(0, n).toString('utf8');
  const num = (key) => {
    const m = head.match(new RegExp(`"${key}":(\\d+)`));
    return m ? Number(m[1]) : null;
  };
  const summary = {
    out,
    scale,
    bytes: fs.statSync(out).size,
    node_count: num('node_count'),
    edge_count: num('edge_count'),
    build_s: Number(t1 - t0) / 1e9,
    write_s: Number(t2 - t1) / 1e9,
  };
  process.stdout.write(JSON.stringify(summary) + '\n');

  const growth = Number(process.env.HEAPSNAP_BENCH_GROWTH || 0);
  const steps = Number(process.env.HEAPSNAP_BENCH_STEPS || 1);
  let built = scale;
  for (let step = 1; growth > 0 && step <= steps; step++) {
    const extra = Math.max(1, Math.round((scale * growth) / 100));
    for (let u = built; u < built + extra; u++) buildUnit(u, heap);
    built += extra;
    const suffix = step === 1 ? '-after' : `-after${step}`;
    const after = out.replace(/\.heapsnapshot$/, '') + `${suffix}.heapsnapshot`;
    const tmp2 = `${after}.tmp-${process.pid}`;
    v8.writeHeapSnapshot(tmp2);
    fs.renameSync(tmp2, after);
    process.stdout.write(JSON.stringify({ out: after, extra_units: extra, bytes: fs.statSync(after).size }) + '\n');
  }
}

main();
