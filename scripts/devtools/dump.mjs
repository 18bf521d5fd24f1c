#!/usr/bin/env node
// Dump Chrome DevTools' analysis of a V8 heap snapshot as JSON Lines, computed
// by DevTools' own HeapSnapshot worker code (heap-snapshot-toolkit 1.1.3).
// This is the per-node / per-class oracle for heapsnap's analysis.
//
// Usage: node scripts/devtools/dump.mjs FILE(.heapsnapshot | .heapsnapshot.gz)
//
// Output (deterministic; one JSON object per line):
//   {"type":"meta","node_count":N,"edge_count":E,"total_size":T,"root_index":R}
//   {"type":"node","i":ordinal,"id":..,"self_size":..,"retained_size":..,"distance":..,
//    "dominator":..,"class_key":..,"class_name":..,"name":..,"raw_name":..}
//                                                                     one per node, ordinal order
//   {"type":"class","key":..,"name":..,"count":..,"self_size":..,"retained_size":..,"distance":..}
//                                                                     one per class, sorted by key
// Where each value comes from (all after DevTools' full initialize()):
//   node_count    snapshot.nodeCount
//   edge_count    snapshot.containmentEdges.length / snapshot.edgeFieldsCount
//   total_size    snapshot.totalSize (= root retained size + extra_native_bytes)
//   root_index    snapshot.rootNodeIndex / snapshot.nodeFieldCount (an ordinal)
//   id            node.id()
//   self_size     node.selfSize()           (after calculateShallowSizes)
//   retained_size node.retainedSize()       (snapshot.retainedSizes[ordinal])
//   distance      node.distance()           (snapshot.nodeDistances[ordinal]; -5 = unreachable)
//   dominator     snapshot.dominatorsTree[ordinal]   (the root's is itself)
//   class_key     snapshot.classKeyFromClassKeyInternal(node.classKeyInternal())
//                 = "," + className, or "scriptId,line,col,className" for
//                 'object' nodes with a location (the public key used by the
//                 Summary and Comparison views)
//   class_name    node.className()          (after interface inference, e.g. "{a, b}")
//   name          node.name()               (display name: raw name after the
//                 "Detached " rename; for plain 'Object' nodes DevTools builds a
//                 "{p1, p2, …, pn}" name from the property edges; for cons strings
//                 it is the concatenated text, up to ~1024 chars)
//   raw_name      node.rawName()            (the name in the file, after the
//                 "Detached " rename; the same as name for every other node)
//   class rows    snapshot.aggregatesWithFilter({}) (no filter = 'allObjects',
//                 what the Summary view shows): key, aggregate.name, .count,
//                 .self, .maxRet, .distance. Nodes with self size 0 are not in
//                 any class.
// Exit status: 0 on success, 1 on any failure (message on stderr).
import { HarnessError, compareKeys, loadSnapshot, runMain, writeLines } from './common.mjs';

async function main() {
  const file = process.argv[2];
  if (!file || process.argv.length > 3) {
    throw new HarnessError('usage: node dump.mjs FILE.heapsnapshot[.gz]');
  }

  const snapshot = await loadSnapshot(file);
  const { nodeCount, nodeFieldCount, dominatorsTree } = snapshot;
  const edgeCount = snapshot.containmentEdges.length / snapshot.edgeFieldsCount;
  const lines = [];
  lines.push(JSON.stringify({
    type: 'meta',
    node_count: nodeCount,
    edge_count: edgeCount,
    total_size: snapshot.totalSize,
    root_index: snapshot.rootNodeIndex / nodeFieldCount,
  }));

  const node = snapshot.createNode(0);
  for (let i = 0; i < nodeCount; i++) {
    node.nodeIndex = i * nodeFieldCount;
    lines.push(JSON.stringify({
      type: 'node',
      i,
      id: node.id(),
      self_size: node.selfSize(),
      retained_size: node.retainedSize(),
      distance: node.distance(),
      dominator: dominatorsTree[i],
      class_key: snapshot.classKeyFromClassKeyInternal(node.classKeyInternal()),
      class_name: node.className(),
      name: node.name(),
      raw_name: node.rawName(),
    }));
  }

  // An empty NodeFilter: createFilter() returns no filter, key 'allObjects'.
  const aggregates = snapshot.aggregatesWithFilter({});
  for (const key of Object.keys(aggregates).sort(compareKeys)) {
    const a = aggregates[key];
    lines.push(JSON.stringify({
      type: 'class',
      key,
      name: a.name,
      count: a.count,
      self_size: a.self,
      retained_size: a.maxRet,
      distance: a.distance,
    }));
  }

  await writeLines(lines);
}

runMain('dump.mjs', main);
