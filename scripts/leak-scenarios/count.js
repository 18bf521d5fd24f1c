#!/usr/bin/env node
'use strict';
// Count what is really in the extra leak fixtures (snapshots/leaks/{steady,more-leaks}-*.gz)
// and write or check snapshots/leaks/manifest-controls.json.
//
//   node scripts/leak-scenarios/count.js                # check the files against the manifest
//   node scripts/leak-scenarios/count.js --write        # recount and rewrite the manifest
//   node scripts/leak-scenarios/count.js --dir DIR ...  # read DIR/<scenario>-<phase>.heapsnapshot[.gz]
//   node scripts/leak-scenarios/count.js --counts-only  # only check the intended counts
//
// For every expected class: its count in each phase, ids new / deleted / kept against the
// previous phase (objects matched by V8 node id), and the three-snapshot survivors (new in
// target, still there in final).
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const ROOT = path.join(__dirname, '..', '..');
const L = require(path.join(ROOT, 'snapshots', 'leaks', 'common', 'snapshot.js'));
const MANIFEST = path.join(ROOT, 'snapshots', 'leaks', 'manifest-controls.json');
const PHASES = ['baseline', 'target', 'final'];

// `match`: type, name, has_edge (an edge name), edge_to: [edge name, target name], prefix.
const EXPECT = {
  steady: {
    title: 'Steady state: open sockets, intervals, cycles, listeners and an LRU cache, turned over but never growing',
    leak: false,
    script: 'scripts/leak-scenarios/steady.js',
    report: 'nothing with 2 or 3 snapshots; with one snapshot the structural checks report the sockets (30 each side), the 60 intervals and the 15 listeners (over Node\'s default limit of 10)',
    expected: [
      { class: 'SteadyClientSocket', match: { type: 'object', name: 'SteadyClientSocket', has_edge: '_readableState' }, counts: [30, 30, 30] },
      { class: 'Socket (server side)', match: { type: 'object', name: 'Socket', has_edge: '_readableState' }, counts: [30, 30, 30] },
      { class: 'Timeout (steadyTick intervals)', match: { type: 'object', name: 'Timeout', edge_to: ['_onTimeout', 'steadyTick'] }, counts: [60, 60, 60] },
      { class: 'SteadyNode', match: { type: 'object', name: 'SteadyNode' }, counts: [120, 120, 120] },
      { class: 'onSteadyTick', match: { type: 'closure', name: 'onSteadyTick' }, counts: [15, 15, 15] },
      { class: 'SteadyCacheEntry', match: { type: 'object', name: 'SteadyCacheEntry' }, counts: [100, 100, 100] },
    ],
  },
  'detached-dom': {
    title: 'Chromium page: removed widgets kept in window.widgetCache as detached DOM trees',
    leak: true,
    script: 'scripts/leak-scenarios/detached-dom/capture.js',
    command: 'node --experimental-websocket scripts/leak-scenarios/detached-dom/capture.js OUTDIR',
    report: 'detached-dom (100 trees of 12 nodes: <section>, <ul>, 5 <li>, 5 text nodes), held at Window.widgetCache[k].el',
    expected: [
      { class: 'WidgetRecord', match: { type: 'object', name: 'WidgetRecord', has_edge: 'el' }, counts: [0, 50, 100] },
      { class: 'detached <section> (widget roots)', match: { type: 'native', prefix: '<section', detached: true }, counts: [0, 50, 100] },
      { class: 'detached <li>', match: { type: 'native', prefix: '<li', detached: true }, counts: [0, 250, 500] },
      { class: 'attached <section> (5 widgets stay in the page)', match: { type: 'native', prefix: '<section', detached: false }, counts: [5, 5, 5] },
    ],
  },
  'event-target': {
    title: 'addEventListener() never removed: an AbortSignal (abort) and an EventTarget bus (update)',
    leak: true,
    script: 'scripts/leak-scenarios/event-target.js',
    report: "listeners (onShutdown on the AbortSignal, 400, over Node's limit of 10; onUpdate on the bus, 400, growing)",
    expected: [
      { class: 'onShutdown', match: { type: 'closure', name: 'onShutdown' }, counts: [0, 200, 400] },
      { class: 'PendingRequest', match: { type: 'object', name: 'PendingRequest' }, counts: [0, 200, 400] },
      { class: 'onUpdate', match: { type: 'closure', name: 'onUpdate' }, counts: [0, 200, 400] },
      { class: 'Widget', match: { type: 'object', name: 'Widget' }, counts: [0, 200, 400] },
      { class: 'Listener', match: { type: 'object', name: 'Listener' }, counts: [0, 400, 800] },
    ],
  },
  'more-leaks': {
    title: 'Fired timeouts kept in an array, once() listeners never fired, one page string stored over and over',
    leak: true,
    script: 'scripts/leak-scenarios/more-leaks.js',
    report: 'timers (Timeout, fired, 400), listeners (onCancel, 400), duplicate-strings (300 copies), collections (global.renderedPages)',
    expected: [
      { class: 'Timeout (fired retryRequest)', match: { type: 'object', name: 'Timeout', edge_to: ['_onTimeout', 'retryRequest'] }, counts: [0, 200, 400] },
      { class: 'RetryAttempt', match: { type: 'object', name: 'RetryAttempt' }, counts: [0, 200, 400] },
      { class: 'onCancel', match: { type: 'closure', name: 'onCancel' }, counts: [0, 200, 400] },
      { class: 'PendingJob', match: { type: 'object', name: 'PendingJob' }, counts: [0, 200, 400] },
      { class: 'page string (4000 chars)', match: { type: 'string', prefix: '<table><tr><td>row 000' }, counts: [0, 150, 300] },
    ],
  },
};

function parseArgs(argv) {
  const o = { write: false, countsOnly: false, dir: path.join(ROOT, 'snapshots', 'leaks'), names: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--write') o.write = true;
    else if (a === '--counts-only') o.countsOnly = true;
    else if (a === '--dir') o.dir = path.resolve(argv[++i]);
    else if (a.startsWith('--')) throw new Error('unknown option ' + a);
    else o.names.push(a);
  }
  if (o.names.length === 0) o.names = Object.keys(EXPECT);
  return o;
}

function fileOf(dir, scenario, phase) {
  const base = path.join(dir, `${scenario}-${phase}.heapsnapshot`);
  if (fs.existsSync(base + '.gz')) return base + '.gz';
  if (fs.existsSync(base)) return base;
  throw new Error('missing ' + base + '.gz');
}

function matcher(s, m) {
  const fields = s.raw.snapshot.meta.node_fields;
  const det = fields.indexOf('detachedness');
  return (n) => {
    if (m.detached !== undefined && (det < 0 || (s.raw.nodes[n * fields.length + det] === 2) !== m.detached)) return false;
    if (m.type && s.type(n) !== m.type) return false;
    if (m.name !== undefined && s.name(n) !== m.name) return false;
    if (m.prefix !== undefined && !String(s.name(n)).startsWith(m.prefix)) return false;
    if (m.has_edge && !s.edges(n).some((e) => e.name === m.has_edge)) return false;
    if (m.edge_to && !s.edges(n).some((e) => e.name === m.edge_to[0] && s.name(e.to) === m.edge_to[1])) return false;
    return true;
  };
}

function count(opts, scenario) {
  const spec = EXPECT[scenario];
  const files = {};
  const ids = spec.expected.map(() => []);
  let ok = true;
  for (const [pi, phase] of PHASES.entries()) {
    const f = fileOf(opts.dir, scenario, phase);
    const s = L.load(f);
    const bytes = fs.readFileSync(f);
    files[phase] = {
      file: path.basename(f), bytes: bytes.length,
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      node_count: s.nodeCount, edge_count: s.edgeCount,
    };
    spec.expected.forEach((e, k) => {
      const m = matcher(s, e.match);
      const found = [];
      for (let n = 0; n < s.nodeCount; n++) if (m(n)) found.push(s.id(n));
      ids[k].push(new Set(found));
      if (found.length !== e.counts[pi]) {
        console.error(`${scenario} ${phase}: ${e.class} is ${found.length}, intended ${e.counts[pi]}`);
        ok = false;
      }
    });
  }
  const expected = spec.expected.map((e, k) => {
    const [b, t, f] = ids[k];
    const step = (x, y) => ({
      new: [...y].filter((i) => !x.has(i)).length,
      deleted: [...x].filter((i) => !y.has(i)).length,
      kept: [...y].filter((i) => x.has(i)).length,
    });
    return {
      class: e.class, match: e.match,
      count_baseline: b.size, count_target: t.size, count_final: f.size,
      by_id: {
        'baseline->target': step(b, t), 'target->final': step(t, f),
        three_snapshot_survivors: [...t].filter((i) => !b.has(i) && f.has(i)).length,
      },
    };
  });
  const extra = {};
  if (scenario === 'detached-dom' && process.env.HEAPSNAP_BROWSER_VERSION) {
    extra.captured_with = process.env.HEAPSNAP_BROWSER_VERSION;
  }
  return { ok, entry: {
    title: spec.title, leak: spec.leak, script: spec.script, ...extra,
    command: spec.command || `node --expose-gc ${spec.script} OUTDIR`, phases: PHASES,
    heapsnap_leaks_reports: spec.report, files, expected,
  } };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const old = fs.existsSync(MANIFEST) ? JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) : { scenarios: {} };
  const manifest = {
    description: 'Extra leak fixtures and controls for heapsnap leaks (scripts/leak-scenarios/). Counts were computed from the files by scripts/leak-scenarios/count.js.',
    generated_by: 'scripts/leak-scenarios/gen.sh (scripts/leak-scenarios/count.js --write)',
    node_version: process.version, v8_version: process.versions.v8,
    snapshot_options: 'v8.writeHeapSnapshot(file) with default options, after global.gc() twice (snapshots/leaks/common/harness.js)',
    gzip: 'gzip -9n',
    scenarios: Object.assign({}, old.scenarios),
  };
  let ok = true;
  for (const name of opts.names) {
    const r = count(opts, name);
    ok = ok && r.ok;
    if (opts.countsOnly) continue;
    if (opts.write) {
      manifest.scenarios[name] = r.entry;
    } else if (JSON.stringify({ ...old.scenarios[name], captured_with: undefined }) !==
               JSON.stringify({ ...r.entry, captured_with: undefined })) {
      console.error(`${name}: differs from manifest-controls.json (run with --write after regenerating)`);
      ok = false;
    }
  }
  if (opts.write && ok) fs.writeFileSync(MANIFEST, JSON.stringify(manifest, null, 2) + '\n');
  if (!ok) process.exit(1);
  console.log(opts.write ? 'wrote ' + MANIFEST : 'ok');
}

main();
