#!/usr/bin/env node
'use strict';
// Count what is really in the leak fixtures and write or check manifest.json.
//
//   node snapshots/leaks/verify.js                 # check all scenarios against manifest.json
//   node snapshots/leaks/verify.js --write [S...]  # recompute S (default all) and rewrite manifest.json
//   node snapshots/leaks/verify.js --dir DIR ...   # read DIR/<scenario>-<phase>.heapsnapshot[.gz]
//   node snapshots/leaks/verify.js --counts-only   # only check the intended counts, not manifest.json
//
// For each scenario in expectations.js and each phase file it counts the
// nodes that match every expected class, and fails (exit 1) if a count differs
// from the intended one. It also records, per class: ids new / deleted / kept
// against the previous phase (objects are matched by V8 node id, as DevTools'
// Comparison view does), the three-snapshot survivors (new in target, still
// there in final), and the shortest retaining paths seen in the last phase
// (generalized: [k] for element indices, (...)+ for repeated steps). Whole-heap
// numbers (nodes, edges, self sizes) and the largest class-level count deltas
// by id are recorded too, to show the noise level.
// Without --write it recomputes and compares everything except the noise
// summaries with manifest.json and fails on any difference.
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const L = require('./common/snapshot.js');
const EXPECT = require('./expectations.js');

const HERE = __dirname;
const MANIFEST = path.join(HERE, 'manifest.json');

function parseArgs(argv) {
  const opts = { write: false, countsOnly: false, dir: HERE, names: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--write') opts.write = true;
    else if (a === '--counts-only') opts.countsOnly = true;
    else if (a === '--dir') opts.dir = path.resolve(argv[++i]);
    else if (a.startsWith('--')) throw new Error('unknown option ' + a);
    else opts.names.push(a);
  }
  if (opts.names.length === 0) opts.names = Object.keys(EXPECT);
  for (const n of opts.names) if (!EXPECT[n]) throw new Error('unknown scenario ' + n);
  return opts;
}

function snapshotFile(dir, scenario, phase) {
  const base = path.join(dir, scenario + '-' + phase + '.heapsnapshot');
  if (fs.existsSync(base + '.gz')) return base + '.gz';
  if (fs.existsSync(base)) return base;
  throw new Error('missing ' + base + '.gz');
}

// Node matcher built from a `match` spec (see expectations.js).
function matcher(s, spec) {
  let retained = null;
  if (spec.retained_by_edge !== undefined) {
    retained = new Set();
    for (let n = 0; n < s.nodeCount; n++) {
      for (const e of s.edges(n)) if (e.name === spec.retained_by_edge) retained.add(e.to);
    }
  }
  const nameRe = spec.name_regex ? new RegExp(spec.name_regex) : null;
  const we = spec.where_edge;
  const weRe = we && we.to_name_regex ? new RegExp(we.to_name_regex) : null;
  return (n) => {
    if (spec.type !== undefined && s.type(n) !== spec.type) return false;
    if (spec.name !== undefined && s.name(n) !== spec.name) return false;
    if (nameRe && !nameRe.test(s.name(n))) return false;
    if (spec.has_edge !== undefined && !s.edges(n).some((e) => e.name === spec.has_edge)) return false;
    if (we && !s.edges(n).some((e) => e.name === we.name &&
        (we.to_name === undefined || s.name(e.to) === we.to_name) &&
        (!weRe || weRe.test(s.name(e.to))))) return false;
    if (retained && !retained.has(n)) return false;
    return true;
  };
}

// BFS over non-weak edges from the given start nodes; returns parent links.
function bfsFrom(s, starts) {
  const parent = new Int32Array(s.nodeCount).fill(-1);
  const parentEdge = new Array(s.nodeCount);
  const queue = [];
  for (const st of starts) {
    if (parent[st] === -1) {
      parent[st] = st;
      queue.push(st);
    }
  }
  for (let qi = 0; qi < queue.length; qi++) {
    const n = queue[qi];
    for (const e of s.edges(n)) {
      if (e.type === 'weak' || parent[e.to] !== -1) continue;
      parent[e.to] = n;
      parentEdge[e.to] = e;
      queue.push(e.to);
    }
  }
  return { parent, parentEdge };
}

function generalizeEdge(e) {
  if (e.type === 'element') return '[k]';
  if (e.type === 'hidden') return '{hidden}';
  if (/^[0-9]+$/.test(String(e.name)) && e.type === 'internal') return '.<n>';
  return L.edgeLabel(e);
}

// Steps from a start node down to n, generalized; repeated runs collapsed.
function pathSteps(s, tree, n) {
  if (tree.parent[n] === -1) return null;
  const steps = [];
  let cur = n;
  while (tree.parent[cur] !== cur) {
    let label = L.label(s, cur);
    if (s.type(cur).endsWith('string')) label = label.replace(/[0-9]+/g, '<n>');
    steps.push(generalizeEdge(tree.parentEdge[cur]) + ' ' + label);
    cur = tree.parent[cur];
  }
  steps.push(L.label(s, cur));
  steps.reverse();
  return collapse(steps).join(' ');
}

function collapse(tokens) {
  let t = tokens.slice();
  let changed = true;
  while (changed) {
    changed = false;
    for (let len = 1; len <= 6; len++) {
      const out = [];
      let i = 0;
      while (i < t.length) {
        let reps = 1;
        const unit = t.slice(i, i + len);
        if (unit.length === len) {
          while (i + (reps + 1) * len <= t.length &&
                 t.slice(i + reps * len, i + (reps + 1) * len).join('\u0000') === unit.join('\u0000')) reps++;
        }
        if (reps >= 2) {
          out.push('(' + unit.join(' ') + ')+');
          i += reps * len;
          changed = true;
        } else {
          out.push(t[i]);
          i++;
        }
      }
      t = out;
    }
  }
  return t;
}

function topPatterns(s, tree, nodes, limit) {
  const counts = new Map();
  let unreachable = 0;
  for (const n of nodes) {
    const p = pathSteps(s, tree, n);
    if (p === null) unreachable++;
    else counts.set(p, (counts.get(p) || 0) + 1);
  }
  const list = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit).map(([pattern, count]) => ({ count, pattern }));
  return { patterns: list, distinct: counts.size, unreachable };
}

function classKey(s, n) {
  const t = s.type(n);
  if (t === 'object' || t === 'native' || t === 'synthetic') return s.name(n);
  if (t === 'closure') return s.name(n) + '()';
  return '(' + t + ')';
}

function classIds(s) {
  const m = new Map();
  for (let n = 0; n < s.nodeCount; n++) {
    const k = classKey(s, n);
    let set = m.get(k);
    if (!set) m.set(k, (set = new Set()));
    set.add(s.id(n));
  }
  return m;
}

// Class-level comparison by id, like DevTools' Comparison (without its
// script-location class keys and shallow-size transfer).
function compareClasses(a, b, limit) {
  const rows = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const A = a.get(k) || new Set();
    const B = b.get(k) || new Set();
    let added = 0;
    let deleted = 0;
    for (const id of B) if (!A.has(id)) added++;
    for (const id of A) if (!B.has(id)) deleted++;
    if (added || deleted) rows.push({ class: k, new: added, deleted, delta: added - deleted });
  }
  rows.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || y.new - x.new || (x.class < y.class ? -1 : 1));
  return rows.slice(0, limit);
}

function analyseScenario(dir, name) {
  const spec = EXPECT[name];
  const phases = spec.phases;
  const files = {};
  const loaded = {};
  const perClass = spec.expected.map(() => ({ counts: {}, ids: {} }));
  const problems = [];
  const classIdMaps = {};
  for (const phase of phases) {
    const file = snapshotFile(dir, name, phase);
    const bytes = fs.readFileSync(file);
    const s = L.load(file);
    let totalSelf = 0;
    for (let n = 0; n < s.nodeCount; n++) totalSelf += s.selfSize(n);
    files[phase] = {
      file: path.basename(file),
      bytes: bytes.length,
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      node_count: s.nodeCount,
      edge_count: s.edgeCount,
      total_self_size: totalSelf,
    };
    classIdMaps[phase] = classIds(s);
    spec.expected.forEach((exp, i) => {
      const m = matcher(s, exp.match);
      const nodes = [];
      for (let n = 0; n < s.nodeCount; n++) if (m(n)) nodes.push(n);
      perClass[i].counts[phase] = nodes.length;
      perClass[i].ids[phase] = new Set(nodes.map((n) => s.id(n)));
      perClass[i].nodes = nodes;   // last phase wins
      perClass[i].selfSize = nodes.reduce((acc, n) => acc + s.selfSize(n), 0);
      const want = exp.intended[phase];
      if (want !== nodes.length) {
        problems.push(`${name}/${phase}: ${exp.class}: ${nodes.length} in the file, intended ${want}`);
      }
    });
    loaded[phase] = s;
    if (phase !== phases[phases.length - 1]) delete loaded[phase];   // keep memory low
  }

  const last = phases[phases.length - 1];
  const s = loaded[last];
  const rootTree = bfsFrom(s, [0]);
  const globals = s.edges(0).filter((e) => e.type === 'shortcut').map((e) => e.to);
  const globalTree = bfsFrom(s, globals);

  const expected = spec.expected.map((exp, i) => {
    const pc = perClass[i];
    const out = { class: exp.class, match: exp.match };
    for (const phase of ['baseline', 'target', 'final']) {
      out['count_' + phase] = phase in pc.counts ? pc.counts[phase] : null;
    }
    out.retaining_path = exp.retaining_path;
    out.notes = exp.notes;
    out.by_id = {};
    for (let p = 1; p < phases.length; p++) {
      const A = pc.ids[phases[p - 1]];
      const B = pc.ids[phases[p]];
      let added = 0;
      let deleted = 0;
      let kept = 0;
      for (const id of B) if (A.has(id)) kept++; else added++;
      for (const id of A) if (!B.has(id)) deleted++;
      out.by_id[phases[p - 1] + '->' + phases[p]] = { new: added, deleted, kept };
    }
    if (phases.length === 3) {
      let survivors = 0;
      for (const id of pc.ids.final) if (pc.ids.target.has(id) && !pc.ids.baseline.has(id)) survivors++;
      out.by_id.three_snapshot_survivors = survivors;
    }
    out.self_size_in_last_phase = pc.selfSize;
    if (pc.nodes.length > 0) {
      out.observed_paths = {
        phase: last,
        from_root: topPatterns(s, rootTree, pc.nodes, 3),
        from_global: topPatterns(s, globalTree, pc.nodes, 3),
      };
    }
    return out;
  });

  const noise = {};
  for (let p = 1; p < phases.length; p++) {
    noise[phases[p - 1] + '->' + phases[p]] = compareClasses(classIdMaps[phases[p - 1]], classIdMaps[phases[p]], 12);
  }

  const entry = {
    title: spec.title,
    leak: spec.leak,
    script: 'snapshots/leaks/' + spec.script,
    command: `node ${spec.node_flags.join(' ')} snapshots/leaks/${spec.script} OUTDIR` +
      (spec.final_dropped ? '   (add --final for the final phase)' : ''),
    node_flags: spec.node_flags,
    isolate: spec.isolate,
    phases,
    files,
    action: spec.action,
    actions: spec.actions,
    expected,
    largest_class_deltas_by_id: noise,
  };
  if (spec.final_dropped) entry.final_dropped = spec.final_dropped;
  return { entry, problems };
}

// The part of an entry that must match exactly between the manifest and the files.
function checked(entry) {
  return {
    phases: entry.phases,
    files: Object.fromEntries(Object.entries(entry.files).map(([p, f]) => [p, { file: f.file, sha256: f.sha256, node_count: f.node_count }])),
    expected: entry.expected.map((e) => ({
      class: e.class, count_baseline: e.count_baseline, count_target: e.count_target, count_final: e.count_final, by_id: e.by_id,
    })),
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const manifest = fs.existsSync(MANIFEST) ? JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) : null;
  let failed = false;
  const entries = {};
  for (const name of opts.names) {
    const { entry, problems } = analyseScenario(opts.dir, name);
    entries[name] = entry;
    const counts = entry.expected.map((e) => `${e.class}=${[e.count_baseline, e.count_target, e.count_final].filter((x) => x !== null).join('/')}`);
    console.log(`${name}: ${counts.join(', ')}`);
    for (const p of problems) {
      console.error('MISMATCH ' + p);
      failed = true;
    }
    if (!opts.write && !opts.countsOnly) {
      const old = manifest && manifest.scenarios && manifest.scenarios[name];
      if (!old) {
        console.error(`${name}: not in manifest.json`);
        failed = true;
      } else if (JSON.stringify(checked(old)) !== JSON.stringify(checked(entry))) {
        console.error(`${name}: manifest.json does not match the files (run verify.js --write after regenerating)`);
        failed = true;
      }
    }
  }
  if (opts.write) {
    if (failed) {
      console.error('not writing manifest.json: counts differ from the intended ones');
      process.exit(1);
    }
    const out = manifest || {};
    out.description = 'Leak fixtures: baseline/target/final V8 heap snapshots taken in ONE isolate around a real leak ' +
      '(ids comparable), one program per cause. Counts below were computed from the files by snapshots/leaks/verify.js. See README.md.';
    out.generated_by = 'scripts/gen-leak-fixtures.sh (snapshots/leaks/verify.js --write)';
    out.node_version = process.version;
    out.v8_version = process.versions.v8;
    out.snapshot_options = 'v8.writeHeapSnapshot(file) with default options (no numeric values, no exposeInternals), after global.gc() twice';
    out.gzip = 'gzip -9n';
    out.scenarios = Object.assign({}, out.scenarios || {});
    for (const [k, v] of Object.entries(entries)) out.scenarios[k] = v;
    // keep the scenario order of expectations.js
    out.scenarios = Object.fromEntries(Object.keys(EXPECT).filter((k) => out.scenarios[k]).map((k) => [k, out.scenarios[k]]));
    fs.writeFileSync(MANIFEST, JSON.stringify(out, null, 2) + '\n');
    console.log('wrote ' + MANIFEST);
  }
  process.exit(failed ? 1 : 0);
}

main();
