'use strict';
// Tiny in-memory reader for V8 .heapsnapshot files (plain or gzipped), used by
// verify.js to check the leak fixtures. Not fast, not streaming: the fixtures
// are a few MB.
const fs = require('fs');
const zlib = require('zlib');

function load(file) {
  let buf = fs.readFileSync(file);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
  const raw = JSON.parse(buf.toString('utf8'));
  const meta = raw.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const nTypeOff = meta.node_fields.indexOf('type');
  const nNameOff = meta.node_fields.indexOf('name');
  const nIdOff = meta.node_fields.indexOf('id');
  const nSizeOff = meta.node_fields.indexOf('self_size');
  const nEdgeCountOff = meta.node_fields.indexOf('edge_count');
  const eTypeOff = meta.edge_fields.indexOf('type');
  const eNameOff = meta.edge_fields.indexOf('name_or_index');
  const eToOff = meta.edge_fields.indexOf('to_node');
  const nodeCount = raw.nodes.length / nf;
  const edgeCount = raw.edges.length / ef;
  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let i = 0, e = 0; i < nodeCount; i++) {
    firstEdge[i] = e;
    e += raw.nodes[i * nf + nEdgeCountOff];
    firstEdge[i + 1] = e;
  }
  const s = {
    file, raw, nodeCount, edgeCount, strings: raw.strings,
    type: (n) => nodeTypes[raw.nodes[n * nf + nTypeOff]],
    name: (n) => raw.strings[raw.nodes[n * nf + nNameOff]],
    id: (n) => raw.nodes[n * nf + nIdOff],
    selfSize: (n) => raw.nodes[n * nf + nSizeOff],
    // edges of node n: [{type, name, to}]
    edges(n) {
      const out = [];
      for (let e = firstEdge[n]; e < firstEdge[n + 1]; e++) {
        const t = edgeTypes[raw.edges[e * ef + eTypeOff]];
        const v = raw.edges[e * ef + eNameOff];
        const name = (t === 'element' || t === 'hidden') ? v : raw.strings[v];
        out.push({ type: t, name, to: raw.edges[e * ef + eToOff] / nf });
      }
      return out;
    },
  };
  return s;
}

// Does node n match spec {type, name, has_edge?: string (edge name), name_prefix?}
function matches(s, n, spec) {
  if (spec.type && s.type(n) !== spec.type) return false;
  if (spec.name !== undefined && s.name(n) !== spec.name) return false;
  if (spec.name_prefix !== undefined && !s.name(n).startsWith(spec.name_prefix)) return false;
  if (spec.has_edge !== undefined && !s.edges(n).some((e) => e.name === spec.has_edge)) return false;
  return true;
}

function findAll(s, spec) {
  const out = [];
  for (let n = 0; n < s.nodeCount; n++) if (matches(s, n, spec)) out.push(n);
  return out;
}

// Shortest retaining path from the root (node 0), BFS over all non-weak edges,
// edges taken in file order. Returns {parentNode, parentEdge} arrays.
function bfs(s) {
  const parent = new Int32Array(s.nodeCount).fill(-1);
  const parentEdge = new Array(s.nodeCount);
  parent[0] = 0;
  const queue = [0];
  for (let qi = 0; qi < queue.length; qi++) {
    const n = queue[qi];
    for (const e of s.edges(n)) {
      if (e.type === 'weak') continue;
      if (parent[e.to] !== -1) continue;
      parent[e.to] = n;
      parentEdge[e.to] = e;
      queue.push(e.to);
    }
  }
  return { parent, parentEdge };
}

function label(s, n) {
  const t = s.type(n);
  const name = s.name(n);
  if (t === 'closure') return name + '()';
  if (t === 'string' || t === 'concatenated string' || t === 'sliced string') {
    return JSON.stringify(name.length > 24 ? name.slice(0, 24) + '…' : name);
  }
  if (t === 'object' || t === 'native' || t === 'synthetic') return name;
  return '(' + t + ') ' + name;
}

function edgeLabel(e) {
  switch (e.type) {
    case 'element': return '[' + e.name + ']';
    case 'hidden': return '{hidden ' + e.name + '}';
    case 'context': return '.<ctx ' + e.name + '>';
    case 'internal': return '.<' + e.name + '>';
    case 'shortcut': return '.<shortcut ' + e.name + '>';
    default: return '.' + e.name;
  }
}

// "(root) .<shortcut 2> global .configBus EventEmitter ._events Object ..."
function pathTo(s, tree, n) {
  if (tree.parent[n] === -1) return null;
  const parts = [];
  let cur = n;
  while (cur !== 0) {
    const e = tree.parentEdge[cur];
    parts.push(edgeLabel(e) + ' ' + label(s, cur));
    cur = tree.parent[cur];
  }
  parts.push(label(s, 0));
  return parts.reverse().join(' ');
}

module.exports = { load, matches, findAll, bfs, pathTo, label, edgeLabel };
