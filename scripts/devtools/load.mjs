#!/usr/bin/env node
// Load a V8 heap snapshot with Chrome DevTools' own HeapSnapshot worker code
// (bundled by heap-snapshot-toolkit) and print one JSON line:
//   {"node_count":N,"edge_count":E,"total_size":T}
//
// Usage: node scripts/devtools/load.mjs FILE(.heapsnapshot | .heapsnapshot.gz)
//
// The loading is in common.mjs (loadSnapshot): it does what
// heap-snapshot-toolkit's parse() does (HeapSnapshotLoader -> loader.close()
// -> parsingComplete -> buildSnapshot() with a SecondaryInitManager on a
// MessageChannel, all in one thread), but drives the loader itself so that
//   * a loader error is caught as soon as it happens (parse() only awaits
//     parsingComplete after the whole stream was read), and
//   * a loader that never finishes (e.g. a truncated file: DevTools' token
//     search then waits forever for another chunk) is reported as an error
//     instead of hanging / exiting silently.
// Exit status: 0 on success, 1 on any failure (message on stderr).
import { HarnessError, loadSnapshot, runMain } from './common.mjs';

async function main() {
  const file = process.argv[2];
  if (!file || process.argv.length > 3) {
    throw new HarnessError('usage: node load.mjs FILE.heapsnapshot[.gz]');
  }

  const snapshot = await loadSnapshot(file);

  // nodeCount = nodes.length / nodeFieldCount (set in HeapSnapshot.initialize).
  // DevTools keeps its edge count private (#edgeCount =
  // containmentEdges.length / edgeFieldsCount); compute it the same way.
  const nodeCount = snapshot.nodeCount;
  const edgeCount = snapshot.containmentEdges.length / snapshot.edgeFieldsCount;
  // totalSize getter = rootNode().retainedSize() + (snapshot.extra_native_bytes ?? 0),
  // i.e. after DevTools' shallow-size transfer and dominator computation.
  const totalSize = snapshot.totalSize;
  for (const [k, v] of Object.entries({ nodeCount, edgeCount, totalSize })) {
    if (!Number.isFinite(v)) throw new HarnessError(`DevTools returned a non-finite ${k}: ${v}`);
  }

  process.stdout.write(JSON.stringify({ node_count: nodeCount, edge_count: edgeCount, total_size: totalSize }) + '\n');
}

runMain('load.mjs', main);
