#!/usr/bin/env node
// Dump Chrome DevTools' allocation stack of every node that has one, computed by
// DevTools' own HeapSnapshot worker code (heap-snapshot-toolkit 1.1.3): the
// oracle for heapsnap's allocation sites (crates/graph/src/alloc.rs).
//
// Usage: node scripts/devtools/alloc.mjs FILE(.heapsnapshot | .heapsnapshot.gz)
//
// Output (deterministic; one JSON object per line, in node ordinal order):
//   {"i":ordinal,"id":..,"trace_node_id":..,"frames":[[functionName,scriptName,scriptId,line,column],...]}
// for every node whose traceNodeId() is not 0; frames is
// snapshot.allocationStack(nodeIndex) (AllocationProfile.serializeAllocationStack:
// the allocating function first, up to and including the tree's "(root)").
// A snapshot without allocation tracking data prints nothing.
// Exit status: 0 on success, 1 on any failure (message on stderr).
import { HarnessError, loadSnapshot, runMain, writeLines } from './common.mjs';

async function main() {
  const file = process.argv[2];
  if (!file || process.argv.length > 3) {
    throw new HarnessError('usage: node alloc.mjs FILE.heapsnapshot[.gz]');
  }
  const snapshot = await loadSnapshot(file);
  const { nodeCount, nodeFieldCount } = snapshot;
  const lines = [];
  if (snapshot.profile.snapshot.trace_function_count) {
    const node = snapshot.createNode(0);
    for (let i = 0; i < nodeCount; i++) {
      node.nodeIndex = i * nodeFieldCount;
      const traceNodeId = node.traceNodeId();
      if (!traceNodeId) continue;
      const stack = snapshot.allocationStack(node.nodeIndex) || [];
      lines.push(JSON.stringify({
        i,
        id: node.id(),
        trace_node_id: traceNodeId,
        frames: stack.map((f) => [f.functionName, f.scriptName, f.scriptId, f.line, f.column]),
      }));
    }
  }
  await writeLines(lines);
}

runMain('alloc.mjs', main);
