#!/usr/bin/env node
'use strict';
// Hand-made small heap snapshots that exercise DevTools' analysis rules
// (docs: heapsnapshot-reference.md §1.9, §2.2-2.12) on graphs small enough to
// check by hand. Each graph is a valid Node 20 .heapsnapshot (7 node fields,
// meta copied from a real Node v20.20.2 / V8 11.3 snapshot, same text layout:
// one row per line, strings one per line) that DevTools' loader accepts.
//
// Usage (from the repository root; writes NAME.heapsnapshot next to this file,
// or into OUTDIR):
//   node snapshots/synthetic/gen.js [OUTDIR]
// The output is fully deterministic (no randomness, fixed ids).
//
// Oracle for any of them:
//   node scripts/devtools/dump.mjs snapshots/synthetic/NAME.heapsnapshot
//   node scripts/devtools/diff.mjs snapshots/synthetic/diff-base.heapsnapshot snapshots/synthetic/diff-target.heapsnapshot
//
// Ids follow V8's conventions (§1.8): root 1, (GC roots) 3, then odd ids for
// heap objects in creation order, even ids for native (embedder) nodes.
const fs = require('fs');
const path = require('path');

// Meta of a real Node 20 snapshot (snapshots/hello.heapsnapshot.gz), verbatim.
const META = {
  node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
  node_types: [['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native',
    'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape', 'wasm object'],
  'string', 'number', 'number', 'number', 'number', 'number'],
  edge_fields: ['type', 'name_or_index', 'to_node'],
  edge_types: [['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'], 'string_or_number', 'node'],
  trace_function_info_fields: ['function_id', 'name', 'script_name', 'script_id', 'line', 'column'],
  trace_node_fields: ['id', 'function_info_index', 'count', 'size', 'children'],
  sample_fields: ['timestamp_us', 'last_assigned_id'],
  location_fields: ['object_index', 'script_id', 'line', 'column'],
};
const NODE_FIELDS = META.node_fields.length;
const NODE_TYPES = META.node_types[0];
const EDGE_TYPES = META.edge_types[0];

class Graph {
  constructor() {
    this.nodes = []; // {type, name, id, size, detachedness, edges: [[type, nameOrIndex, to]]}
    this.strings = ['<dummy>', ''];
    this.stringIds = new Map(this.strings.map((s, i) => [s, i]));
    this.locations = [];
    this.nextOddId = 1;
    this.nextEvenId = 10000;
  }

  string(s) {
    let i = this.stringIds.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, i);
    }
    return i;
  }

  // Adds a node, returns its ordinal. opts: {id, det (detachedness)}.
  node(type, name, size = 0, opts = {}) {
    if (!NODE_TYPES.includes(type)) throw new Error(`bad node type ${type}`);
    let id = opts.id;
    if (id === undefined) {
      if (type === 'native') {
        id = this.nextEvenId;
        this.nextEvenId += 2;
      } else {
        id = this.nextOddId;
        this.nextOddId += 2;
      }
    }
    this.nodes.push({ type, name, id, size, det: opts.det || 0, edges: [] });
    return this.nodes.length - 1;
  }

  // element/hidden edges take a number, all others a string.
  edge(from, type, nameOrIndex, to) {
    if (!EDGE_TYPES.includes(type)) throw new Error(`bad edge type ${type}`);
    const numeric = type === 'element' || type === 'hidden';
    if (numeric !== (typeof nameOrIndex === 'number')) throw new Error(`bad edge name for ${type}: ${nameOrIndex}`);
    if (to === undefined || !this.nodes[to]) throw new Error(`bad edge target ${to}`);
    this.nodes[from].edges.push([type, nameOrIndex, to]);
  }

  // A WeakMap entry the way V8 writes it (V8-GEN ExtractEphemeronHashTableReferences):
  // the table gets weak edges "<keyIndex>" -> key and "<valueIndex>" -> value, and
  // both the table and the key get an internal edge
  //   "<n> / part of key (<KeyName> @<keyId>) -> value (<ValName> @<valId>) pair in WeakMap (table @<tableId>)"
  // to the value, where <n> is that edge's 1-based position among its source's
  // edges (SetNamedAutoIndexReference).
  ephemeron(table, entryIndex, key, value) {
    const t = this.nodes[table];
    const k = this.nodes[key];
    const v = this.nodes[value];
    const part = `part of key (${k.name} @${k.id}) -> value (${v.name} @${v.id}) pair in WeakMap (table @${t.id})`;
    this.edge(table, 'weak', String(5 + 2 * entryIndex), key);
    this.edge(table, 'weak', String(6 + 2 * entryIndex), value);
    this.edge(table, 'internal', `${t.edges.length + 1} / ${part}`, value);
    this.edge(key, 'internal', `${k.edges.length + 1} / ${part}`, value);
  }

  // A `locations` entry: object_index is the node's index in the nodes array
  // (ordinal * 7); line and column are 0-based.
  location(node, scriptId, line, column) {
    this.locations.push([node * NODE_FIELDS, scriptId, line, column]);
  }

  serialize() {
    const nodeRows = [];
    const edgeRows = [];
    for (const n of this.nodes) {
      nodeRows.push([NODE_TYPES.indexOf(n.type), this.string(n.name), n.id, n.size, n.edges.length, 0, n.det].join(','));
      for (const [type, nameOrIndex, to] of n.edges) {
        const name = typeof nameOrIndex === 'number' ? nameOrIndex : this.string(nameOrIndex);
        edgeRows.push([EDGE_TYPES.indexOf(type), name, to * NODE_FIELDS].join(','));
      }
    }
    const header = { meta: META, node_count: this.nodes.length, edge_count: edgeRows.length, trace_function_count: 0 };
    // V8 (Node 20) layout: rows separated by "\n,", sections by "],\n".
    const section = (key, rows) => `"${key}":[${rows.join('\n,')}${rows.length ? '\n' : ''}]`;
    return `{"snapshot":${JSON.stringify(header)},\n` +
      `${section('nodes', nodeRows)},\n` +
      `${section('edges', edgeRows)},\n` +
      '"trace_function_infos":[],\n"trace_tree":[],\n"samples":[],\n' +
      `${section('locations', this.locations.map((l) => l.join(',')))},\n` +
      `"strings":[${this.strings.map((s) => JSON.stringify(s)).join(',\n')}]}`;
  }
}

// Root (ordinal 0, id 1), (GC roots) (1, id 3), (Strong roots) (2, id 5), and,
// unless userRoot is false, the user root: root --shortcut "2"--> object
// "global" (3), as in a default Node 20 snapshot.
function skeleton({ userRoot = true } = {}) {
  const g = new Graph();
  const root = g.node('synthetic', '');
  const gcRoots = g.node('synthetic', '(GC roots)');
  const strong = g.node('synthetic', '(Strong roots)');
  g.edge(root, 'element', 1, gcRoots);
  g.edge(gcRoots, 'element', 1, strong);
  let global;
  if (userRoot) {
    global = g.node('object', 'global', 40);
    g.edge(root, 'shortcut', '2', global);
  }
  return { g, root, gcRoots, strong, global };
}

const GRAPHS = {};

// ---------------------------------------------------------------------------
// unreachable-cycles: DevTools' handling of nodes not reachable from the root
// (reference §2.6 steps 2-3, §2.8), and why the reachable part is normally not
// affected by them (the page-object rule, §2.5 rule 4).
//  * root --shortcut--> global (user root): global distance 1, root 100000000,
//    (GC roots) 100000001, InternalThing (only under (Strong roots)) 100000003.
//  * global -> App -> Array -> (object elements) -> Item, Item: the array is
//    array-typed, so its 48 bytes move to Array (shallow-size transfer); the
//    now 0-sized array drops out of the aggregates.
//  * An unreachable 3-cycle Cycle -> Cycle -> Cycle -> (back), with Tail hanging
//    off it: no DFS reaches them (every member has an essential retainer), so
//    step 3 numbers them one by one with parent = root: all dominated by the
//    root, distance -5 (the "Cycle" class row then has distance -5).
//  * Orphan (no retainers at all) points into the reachable part twice:
//      - Orphan -> Item #1: Item #1 is a page object (reachable from global)
//        and Orphan is not, so this edge is NOT essential: Item #1 stays
//        dominated by the (object elements) array;
//      - Orphan -> InternalThing, which is reachable only from (GC roots), so
//        neither end is a page object and the edge counts: step 2 starts a
//        DFS at Orphan, which acts as a root child, and InternalThing (also
//        retained by (Strong roots)) is dominated by the ROOT.
//  * Nodes retained by a reachable node and by the unreachable cycle:
//      - Shared (App and a cycle member; page object, so the cycle's edge is
//        dropped): dominated by App;
//      - SysChild (InternalThing and a cycle member; not a page object, so
//        both edges count): still dominated by InternalThing (the cycle
//        members are numbered last and do not lower its semidominator);
//      - the hidden "system / Map" (App, both Items and a cycle member):
//        dominated by App; having several owners it keeps its own shallow
//        size (MULTIPLE owners).
GRAPHS['unreachable-cycles'] = () => {
  const { g, strong, global } = skeleton();
  const app = g.node('object', 'App', 64);
  const array = g.node('object', 'Array', 32);
  const elements = g.node('array', '(object elements)', 48);
  const item1 = g.node('object', 'Item', 24);
  const item2 = g.node('object', 'Item', 24);
  const shared = g.node('object', 'Shared', 100);
  const c1 = g.node('object', 'Cycle', 16);
  const c2 = g.node('object', 'Cycle', 16);
  const c3 = g.node('object', 'Cycle', 16);
  const tail = g.node('object', 'Tail', 8);
  const orphan = g.node('object', 'Orphan', 12);
  const internal = g.node('object', 'InternalThing', 20);
  const sysChild = g.node('object', 'SysChild', 6);
  const map = g.node('hidden', 'system / Map', 80);
  g.edge(strong, 'element', 1, internal);
  g.edge(internal, 'property', 'child', sysChild);
  g.edge(global, 'property', 'app', app);
  g.edge(app, 'property', 'items', array);
  g.edge(app, 'property', 'shared', shared);
  g.edge(app, 'internal', 'map', map);
  g.edge(array, 'internal', 'elements', elements);
  g.edge(elements, 'element', 0, item1);
  g.edge(elements, 'element', 1, item2);
  g.edge(item1, 'internal', 'map', map);
  g.edge(item2, 'internal', 'map', map);
  g.edge(c1, 'property', 'next', c2);
  g.edge(c1, 'internal', 'map', map);
  g.edge(c2, 'property', 'next', c3);
  g.edge(c2, 'property', 'shared', shared);
  g.edge(c2, 'property', 'sys', sysChild);
  g.edge(c3, 'property', 'next', c1);
  g.edge(c3, 'property', 'tail', tail);
  g.edge(orphan, 'property', 'ref', item1);
  g.edge(orphan, 'property', 'sys', internal);
  return g;
};

// ---------------------------------------------------------------------------
// weak-only: weak edges retain nothing (§2.5 rule 2), are skipped by the
// distance BFS (§2.8) and by the shallow-size transfer (§2.4).
//  * Target is retained only by WeakRef --weak--> Target: step 2 of the
//    dominator algorithm starts a DFS at it, so it is dominated by the root and
//    dominates its own (object elements) array and Leaf; distance -5 for all
//    three. Its array still moves its 16 bytes to Target (ownership does not
//    care about reachability).
//  * WeakOnly has two weak retainers (global and WeakRef): root-dominated, -5.
//  * Lonely has no retainers at all: root-dominated, -5.
//  * global --weak--> Chain -> Chain -> Chain: only reachable through a weak
//    edge; the first Chain is root-dominated, each next one is dominated by the
//    previous one; all -5.
//  * Both is retained by global (property) and by WeakRef (weak): dominated by
//    global, distance 2.
//  * a hidden node retained only by a weak edge is never reached by the
//    ownership walk, so it keeps its 30 bytes.
GRAPHS['weak-only'] = () => {
  const { g, global } = skeleton();
  const weakRef = g.node('object', 'WeakRef', 32);
  const target = g.node('object', 'Target', 24);
  const elements = g.node('array', '(object elements)', 16);
  const leaf = g.node('object', 'Leaf', 8);
  const weakOnly = g.node('object', 'WeakOnly', 10);
  g.node('object', 'Lonely', 12);
  const chainA = g.node('object', 'Chain', 4);
  const chainB = g.node('object', 'Chain', 4);
  const chainC = g.node('object', 'Chain', 4);
  const both = g.node('object', 'Both', 20);
  const cell = g.node('hidden', 'system / WeakCell', 30);
  g.edge(global, 'property', 'ref', weakRef);
  g.edge(global, 'weak', 'w2', weakOnly);
  g.edge(global, 'weak', 'head', chainA);
  g.edge(global, 'property', 'both', both);
  g.edge(global, 'weak', 'cell', cell);
  g.edge(weakRef, 'weak', 'target', target);
  g.edge(weakRef, 'weak', 'w2', weakOnly);
  g.edge(weakRef, 'weak', 'both', both);
  g.edge(target, 'internal', 'elements', elements);
  g.edge(elements, 'element', 0, leaf);
  g.edge(chainA, 'property', 'next', chainB);
  g.edge(chainB, 'property', 'next', chainC);
  return g;
};

// ---------------------------------------------------------------------------
// weakmap: WeakMap ephemerons with V8's exact internal edge names (§1.9), both
// from the table and from the key to the value.
//  * Dominators (§2.5 rule 1): the table's edge (from.id == table id) is not
//    essential, the key's edge is, so Val1 and Val3 are dominated by their
//    keys.
//  * Distances (§2.8): of the two ephemeron edges to a value, the first one the
//    BFS meets is skipped and the second one sets the distance, so a value's
//    distance is max(table, key) + 1:
//      - Key1 sits at distance 4 (global -> Holder -> Inner -> Key1), the table
//        at 3 (global -> WeakMap -> table): Val1 = 5 (not 4);
//      - Key3 sits at distance 2 (global -> Key3), its edge is met first and
//        skipped; the table's edge sets Val3 = 4;
//      - Key2 is dead (only the table's weak edge retains it): Val2 keeps
//        distance -5 although the reachable table points at it.
//  * Val2's dominator is the ROOT, not Key2: the table's edge is dropped
//    (rule 1) and Key2 -> Val2 goes from a non-page object (Key2 is reachable
//    only through a weak edge) to a page object (Val2 is reachable from
//    global through the table's internal edge), so it is dropped too (rule
//    4); with no essential retainer left, step 2 gives Val2 parent root.
//    Key2 is root-dominated as well (weak-only retainers).
//  * The table (type array, name "" as in V8) moves its 104 bytes to WeakMap.
//  * The value objects are plain "Object"s; Val1 also retains a string.
GRAPHS.weakmap = () => {
  const { g, global } = skeleton();
  const weakMap = g.node('object', 'WeakMap', 32);
  const table = g.node('array', '', 104);
  const holder = g.node('object', 'Holder', 16);
  const inner = g.node('object', 'Inner', 16);
  const key1 = g.node('object', 'Object', 32);
  const val1 = g.node('object', 'Object', 40);
  const key2 = g.node('object', 'Object', 32);
  const val2 = g.node('object', 'Object', 40);
  const key3 = g.node('object', 'Object', 32);
  const val3 = g.node('object', 'Object', 40);
  const payload = g.node('string', 'payload', 24);
  g.edge(global, 'property', 'wm', weakMap);
  g.edge(global, 'property', 'holder', holder);
  g.edge(global, 'property', 'k3', key3);
  g.edge(weakMap, 'internal', 'table', table);
  g.edge(holder, 'property', 'inner', inner);
  g.edge(inner, 'property', 'key', key1);
  g.edge(val1, 'property', 'data', payload);
  g.ephemeron(table, 0, key1, val1);
  g.ephemeron(table, 1, key2, val2);
  g.ephemeron(table, 2, key3, val3);
  return g;
};

// ---------------------------------------------------------------------------
// self-and-shortcuts: essential-edge rules 3 and 4 (§2.5) and the owner rules
// of the shallow-size transfer (§2.4).
//  * Owner has a self edge ("self"); SelfOnly is retained only by its own self
//    edge: not essential, so SelfOnly is root-dominated (step 2), distance -5.
//  * Linker --shortcut "bound_argument_0"--> Bound: a non-root shortcut is not
//    essential, so Bound (no other retainer) is root-dominated; the distance
//    BFS does follow shortcuts (Bound: 3). Linker --shortcut--> Target2 which
//    global also retains by a property: dominated by global.
//  * Page-object rule: everything reachable from global is a page object.
//    DebuggerThing hangs off (Strong roots) (not a page object) and points at
//    PageThing, which PageHolder (a page object) also retains: the edge from
//    the non-page DebuggerThing is not essential, so PageThing is dominated by
//    PageHolder (without the rule it would be the root). DebuggerThing's edge
//    to the non-page Q stays essential: Q is dominated by DebuggerThing.
//    (Strong roots) --element--> global is also dropped by this rule.
//  * Shallow-size transfer (hidden, array and "system / ExternalStringData"
//    natives are owned; everything else owns itself):
//      - Owner -> (object elements) -> hidden -> hidden: Owner gets 50+30+12+6;
//      - OwnerB and OwnerC share one (object properties) array and its hidden
//        child: MULTIPLE owners, both keep their sizes;
//      - an external string gets its "system / ExternalStringData" (1000);
//      - a native "Node / Thing" owns its hidden child (307);
//      - "C++ roots" (synthetic) owns an array: synthetic owners get nothing,
//        the array keeps its 64 bytes.
GRAPHS['self-and-shortcuts'] = () => {
  const { g, root, strong, global } = skeleton();
  const cppRoots = g.node('synthetic', 'C++ roots');
  const rootsList = g.node('array', '(roots list)', 64);
  const owner = g.node('object', 'Owner', 50);
  const elements = g.node('array', '(object elements)', 30);
  const h1 = g.node('hidden', 'system / Foo', 12);
  const h2 = g.node('hidden', 'system / Bar', 6);
  const ownerB = g.node('object', 'Owner', 50);
  const ownerC = g.node('object', 'Owner', 50);
  const props = g.node('array', '(object properties)', 40);
  const cell = g.node('hidden', 'system / PropertyCell', 8);
  const ext = g.node('string', 'external text', 20);
  const extData = g.node('native', 'system / ExternalStringData', 1000);
  const thing = g.node('native', 'Node / Thing', 300);
  const backing = g.node('hidden', 'system / Backing', 7);
  const linker = g.node('object', 'Linker', 10);
  const bound = g.node('object', 'Bound', 20);
  const target2 = g.node('object', 'Target2', 20);
  const debuggerThing = g.node('object', 'DebuggerThing', 10);
  const pageHolder = g.node('object', 'PageHolder', 10);
  const pageThing = g.node('object', 'PageThing', 30);
  const q = g.node('object', 'Q', 5);
  const selfOnly = g.node('object', 'SelfOnly', 9);
  g.edge(root, 'element', 3, cppRoots);
  g.edge(cppRoots, 'element', 1, rootsList);
  g.edge(strong, 'element', 1, debuggerThing);
  g.edge(strong, 'element', 2, global);
  g.edge(global, 'property', 'a', owner);
  g.edge(global, 'property', 'b', ownerB);
  g.edge(global, 'property', 'c', ownerC);
  g.edge(global, 'property', 'ext', ext);
  g.edge(global, 'internal', 'thing', thing);
  g.edge(global, 'property', 'x', linker);
  g.edge(global, 'property', 'z', target2);
  g.edge(global, 'property', 'pa', pageHolder);
  g.edge(owner, 'property', 'self', owner);
  g.edge(owner, 'internal', 'elements', elements);
  g.edge(elements, 'element', 0, h1);
  g.edge(h1, 'internal', 'x', h2);
  g.edge(ownerB, 'internal', 'properties', props);
  g.edge(ownerC, 'internal', 'properties', props);
  g.edge(props, 'internal', '0', cell);
  g.edge(ext, 'internal', 'resource', extData);
  g.edge(thing, 'internal', 'buf', backing);
  g.edge(linker, 'shortcut', 'bound_argument_0', bound);
  g.edge(linker, 'shortcut', 's', target2);
  g.edge(debuggerThing, 'property', 'p', pageThing);
  g.edge(debuggerThing, 'property', 'q', q);
  g.edge(pageHolder, 'property', 'p', pageThing);
  g.edge(selfOnly, 'property', 'me', selfOnly);
  return g;
};

// ---------------------------------------------------------------------------
// no-user-roots: an "exposeInternals"-style snapshot: the root has only element
// edges to synthetic nodes, so there are no user roots (§2.2):
//  * no shallow-size transfer: the (object elements) array and the hidden
//    "system / Map" keep their own sizes;
//  * distances start at 0 at the root ((GC roots), "C++ roots" and
//    "Node / Environment" 1, (Strong roots) 2, global 3, ...);
//  * no page objects, so edges from (Global handles)' Handle count: App
//    (retained by global and by Handle) is dominated by (GC roots).
//  * "Node / Environment" is synthetic but has a size (class "(synthetic)").
//  * a non-root shortcut (global -> Item) is still not essential.
//  * Stray (no retainers) -> Item: without page objects this edge counts, and
//    step 2 of the dominator algorithm makes Stray a root child, so Item is
//    dominated by the ROOT instead of the (object elements) array: unreachable
//    nodes do change the reachable part's dominators when there are no user
//    roots (compare unreachable-cycles).
GRAPHS['no-user-roots'] = () => {
  const { g, root, gcRoots, strong } = skeleton({ userRoot: false });
  const globalHandles = g.node('synthetic', '(Global handles)');
  const cppRoots = g.node('synthetic', 'C++ roots');
  const env = g.node('synthetic', 'Node / Environment', 100);
  const global = g.node('object', 'global', 40);
  const app = g.node('object', 'App', 64);
  const elements = g.node('array', '(object elements)', 48);
  const item = g.node('object', 'Item', 24);
  const map = g.node('hidden', 'system / Map', 80);
  const handle = g.node('object', 'Handle', 16);
  const realm = g.node('native', 'Node / Realm', 200);
  g.edge(root, 'element', 2, cppRoots);
  g.edge(root, 'element', 3, env);
  g.edge(gcRoots, 'element', 2, globalHandles);
  g.edge(strong, 'element', 1, global);
  g.edge(globalHandles, 'element', 1, handle);
  g.edge(env, 'internal', 'principal_realm', realm);
  g.edge(global, 'property', 'app', app);
  g.edge(global, 'shortcut', 's', item);
  g.edge(app, 'internal', 'elements', elements);
  g.edge(app, 'internal', 'map', map);
  g.edge(elements, 'element', 0, item);
  g.edge(handle, 'property', 'app', app);
  const stray = g.node('object', 'Stray', 4);
  g.edge(stray, 'property', 'item', item);
  return g;
};

// ---------------------------------------------------------------------------
// detached: detachedness propagation and "Detached " renames (§2.3), class
// names (§2.9: '<tag …>' -> '<tag>', 'Detached <tag …>' -> 'Detached <tag>',
// plain-object interface names), class keys with locations, zero-size nodes.
//  * Natives (embedder nodes, even ids):
//      N1 <div id="a"> det 2 (reached through the JS wrapper HTMLDivElement)
//        --internal--> <span class="x"> det 0 --internal--> <b> det 0: both
//          inherit "detached": "Detached <span class=\"x\">" (class
//          "Detached <span>"), "Detached <b>";
//        --internal--> JSThing (object: propagation stops) --property--> <i>
//          det 0: stays "<i>";
//        --hidden--> <u> det 0 and --weak--> <s> det 0: edges not followed,
//          names unchanged (<s> is also unreachable: distance -5);
//        --internal--> <p id="p1"> det 0, which the attached Document (det 1)
//          also reaches: attached wins (attached worklist runs first), name
//          unchanged, class "<p>".
//      Document det 1 --internal--> <div id="b"> det 2 keeps its own state:
//        "Detached <div id=\"b\">" (same class "Detached <div>" as N1);
//        --internal--> "<div>" and "<div class=\"c\">" (det 0, attached): both
//        class "<div>" (one aggregate row).
//      JSDetached is an object with det 2: not renamed, and it does not pass
//        the state on to its native child "<em>".
//  * Plain objects (type object, name "Object"; plainObjectCount = 10, so
//    definitions need count >= 2): three {a, b} objects, one {a, b, c} and one
//    {b, a} all get class "{a, b}"; two {x, "it's"} objects (the name with a
//    quote is written JSON-quoted) get class "{x, \"it's\"}"; {c} (count 1)
//    and an object with only __proto__ stay "Object"; Object.prototype (one
//    property "constructor") stays "Object".
//  * Locations (Node 20 4-field layout, object_index = node index): two Points
//    at script 7 line 10 col 4 -> key "7,10,4,Point"; one at 8:3:0 -> key
//    "8,3,0,Point"; one without location -> key ",Point"; the Point
//    constructor (a closure) has a location but closures keep key ",Function";
//    one {a, b} object has a location: key "9,1,2,{a, b}".
//  * Zero-size nodes: a 0-byte Point at 7:10:4 is not counted in that class;
//    "Ghost" (0 bytes, the only one of its class) has no aggregate row.
GRAPHS.detached = () => {
  const { g, global } = skeleton();
  const wrapper = g.node('object', 'HTMLDivElement', 32);
  const n1 = g.node('native', '<div id="a">', 100, { det: 2 });
  const span = g.node('native', '<span class="x">', 50);
  const b = g.node('native', '<b>', 10);
  const jsThing = g.node('object', 'JSThing', 16);
  const i = g.node('native', '<i>', 10);
  const u = g.node('native', '<u>', 10);
  const s = g.node('native', '<s>', 10);
  const docWrapper = g.node('object', 'HTMLDocument', 32);
  const doc = g.node('native', 'Document', 200, { det: 1 });
  const p = g.node('native', '<p id="p1">', 20);
  const divB = g.node('native', '<div id="b">', 100, { det: 2 });
  const div = g.node('native', '<div>', 60);
  const divC = g.node('native', '<div class="c">', 60);
  const jsDetached = g.node('object', 'JSDetached', 16, { det: 2 });
  const em = g.node('native', '<em>', 10);
  g.edge(global, 'property', 'leak', wrapper);
  g.edge(global, 'property', 'document', docWrapper);
  g.edge(global, 'property', 'jd', jsDetached);
  g.edge(wrapper, 'internal', 'native', n1);
  g.edge(n1, 'internal', 'child', span);
  g.edge(n1, 'internal', 'wrapper', jsThing);
  g.edge(n1, 'hidden', 1, u);
  g.edge(n1, 'weak', 'w', s);
  g.edge(n1, 'internal', 'shared', p);
  g.edge(span, 'internal', 'child', b);
  g.edge(jsThing, 'property', 'n', i);
  g.edge(docWrapper, 'internal', 'native', doc);
  g.edge(doc, 'internal', 'child', p);
  g.edge(doc, 'internal', 'child2', divB);
  g.edge(doc, 'internal', 'child3', div);
  g.edge(doc, 'internal', 'child4', divC);
  g.edge(jsDetached, 'internal', 'n', em);

  // Plain objects and interface inference.
  const proto = g.node('object', 'Object', 8);
  const objectCtor = g.node('closure', 'Object', 32);
  g.edge(proto, 'property', 'constructor', objectCtor);
  const str = g.node('string', 'v', 16);
  const plain = (props, size, prop) => {
    const o = g.node('object', 'Object', size);
    g.edge(global, 'property', prop, o);
    for (const name of props) g.edge(o, 'property', name, str);
    g.edge(o, 'property', '__proto__', proto);
    return o;
  };
  const o1 = plain(['a', 'b'], 24, 'o1');
  plain(['a', 'b'], 24, 'o2');
  plain(['a', 'b'], 24, 'o3');
  plain(['a', 'b', 'c'], 32, 'o4');
  plain(['b', 'a'], 24, 'o5');
  plain(['x', "it's"], 24, 'o6');
  plain(['x', "it's"], 24, 'o7');
  plain(['c'], 16, 'o8');
  plain([], 16, 'o9');
  g.location(o1, 9, 1, 2);

  // Class keys with locations; zero-size nodes.
  const pointCtor = g.node('closure', 'Point', 32);
  g.edge(global, 'property', 'Point', pointCtor);
  g.location(pointCtor, 7, 10, 4);
  const point = (prop, size, loc) => {
    const o = g.node('object', 'Point', size);
    g.edge(global, 'property', prop, o);
    if (loc) g.location(o, ...loc);
    return o;
  };
  point('p1', 20, [7, 10, 4]);
  point('p2', 20, [7, 10, 4]);
  point('p3', 20, [8, 3, 0]);
  point('p4', 20, null);
  point('p0', 0, [7, 10, 4]);
  const ghost = g.node('object', 'Ghost', 0);
  g.edge(global, 'property', 'ghost', ghost);
  return g;
};

// ---------------------------------------------------------------------------
// diff-base / diff-target: a pair for the Comparison view (§2.12), "two
// snapshots of one isolate" (same ids = same objects).
//  * Item: ids kept in both (no change even though one Item grew from 24 to
//    99 bytes: surviving objects' size changes are ignored), one deleted, two
//    new -> new 2, deleted 1.
//  * Gone: only in the base (deleted 2); Fresh: only in the target (new 1).
//  * A native "Node / Handle" whose id changed (pointer-derived ids): shows
//    up as 1 new + 1 deleted.
//  * Interface definitions differ. Base: 2 plain objects {a, b, c} (ids 131,
//    133) and 2 {a, b} (135, 137) (definitions {a, b, c}, {a, b}, and
//    {p, q, r} from below). Target: 131 and 133 lost property c, 135 kept,
//    137 gone, new 211 {a, b, c}: definitions {a, b} (count 3) and {p, q}
//    (below); {a, b, c} has count 1, so all four are class "{a, b}". The DevTools UI classifies the BASE with the
//    TARGET's definitions, so all four base objects are "{a, b}" too: one row
//    "{a, b}" with new 1 (211) and deleted 1 (137). heap-snapshot-toolkit's
//    diff() uses the base's own definitions instead and would give "{a, b, c}"
//    deleted 2 and "{a, b}" new 3 / deleted 1.
//  * A row's name is not always its key's class name: the target has two
//    0-byte {p, q} objects (they count for the interface definitions but not
//    in the aggregates), the base two 20-byte {p, q, r} objects (ids 141,
//    143) that are gone in the target. Classified with the target's
//    definitions they form class ",{p, q}", which the target lacks, so the
//    row takes the name from the base's AggregateForDiff, which DevTools
//    computes AFTER restoring the base's own definitions: key ",{p, q}",
//    name "{p, q, r}", deleted 2.
//  * Sizes are post-transfer: an Item's (object elements) array moves its
//    bytes to the Item in both snapshots.
function diffPair(target) {
  const { g, global } = skeleton();
  // Fixed ids so both snapshots agree on which objects are the same.
  const obj = (name, size, id, prop) => {
    const o = g.node('object', name, size, { id });
    g.edge(global, 'property', prop, o);
    return o;
  };
  const item1 = obj('Item', target ? 99 : 24, 101, 'i1');
  const elements = g.node('array', '(object elements)', 16, { id: 103 });
  g.edge(item1, 'internal', 'elements', elements);
  obj('Item', 24, 105, 'i2');
  if (!target) obj('Item', 24, 107, 'i3');
  if (target) {
    obj('Item', 24, 201, 'i4');
    obj('Item', 24, 203, 'i5');
  }
  if (!target) {
    obj('Gone', 8, 111, 'g1');
    obj('Gone', 8, 113, 'g2');
  } else {
    obj('Fresh', 12, 205, 'f1');
  }
  const handle = g.node('native', 'Node / Handle', 64, { id: target ? 40002 : 40000 });
  g.edge(global, 'internal', 'handle', handle);
  const str = g.node('string', 'v', 16, { id: 121 });
  const plain = (props, size, id, prop) => {
    const o = obj('Object', size, id, prop);
    for (const name of props) g.edge(o, 'property', name, str);
  };
  if (!target) {
    plain(['p', 'q', 'r'], 20, 141, 'pq1');
    plain(['p', 'q', 'r'], 20, 143, 'pq2');
  } else {
    plain(['p', 'q'], 0, 221, 'pq1');
    plain(['p', 'q'], 0, 223, 'pq2');
  }
  if (!target) {
    plain(['a', 'b', 'c'], 32, 131, 'o1');
    plain(['a', 'b', 'c'], 32, 133, 'o2');
    plain(['a', 'b'], 24, 135, 'o3');
    plain(['a', 'b'], 24, 137, 'o4');
  } else {
    plain(['a', 'b'], 32, 131, 'o1');
    plain(['a', 'b'], 32, 133, 'o2');
    plain(['a', 'b'], 24, 135, 'o3');
    plain(['a', 'b', 'c'], 32, 211, 'o5');
  }
  return g;
}
GRAPHS['diff-base'] = () => diffPair(false);
GRAPHS['diff-target'] = () => diffPair(true);

function main() {
  const outDir = process.argv[2] || __dirname;
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, build] of Object.entries(GRAPHS)) {
    const g = build();
    const file = path.join(outDir, `${name}.heapsnapshot`);
    fs.writeFileSync(file, g.serialize());
    const edges = g.nodes.reduce((n, x) => n + x.edges.length, 0);
    console.log(`${path.relative(process.cwd(), file)}: ${g.nodes.length} nodes, ${edges} edges`);
  }
}

main();
