#!/usr/bin/env node
// Print Chrome DevTools' Comparison view (snapshot diff) of two V8 heap
// snapshots, computed by DevTools' own HeapSnapshot worker code
// (heap-snapshot-toolkit 1.1.3). This is the oracle for heapsnap's diff.
//
// Usage: node scripts/devtools/diff.mjs BASE TARGET   (each .heapsnapshot or .heapsnapshot.gz)
//
// Output: one JSON line per class key in the Comparison, sorted by key (JS
// string order), only classes with at least one new or deleted object:
//   {"key":..,"name":..,"new_count":..,"deleted_count":..,"count_delta":..,
//    "alloc_size":..,"freed_size":..,"size_delta":..}
//
// This does what the DevTools UI does (HeapSnapshotDiffDataGrid.setBaseDataSource
// in front_end/panels/profiler/HeapSnapshotDataGrids.ts):
//   defs  = target.interfaceDefinitions()        // the TARGET's "{a, b}" classes
//   aggs  = base.aggregatesForDiff(defs)         // base classified with them
//   diff  = target.calculateSnapshotDiff(base.uid, aggs)
// heap-snapshot-toolkit's own diff() passes the BASE's definitions instead.
// Fields: key = the class key (public form: "," + className, or
// "scriptId,line,col,className"); name = Diff.name (the target's aggregate
// name if the class exists there, else the base's AggregateForDiff.name);
// new_count = addedCount, deleted_count = removedCount, count_delta =
// countDelta, alloc_size = addedSize, freed_size = removedSize, size_delta =
// sizeDelta. Objects are matched by node id; sizes are post-transfer shallow
// sizes; objects with shallow size 0 take no part.
// Exit status: 0 on success, 1 on any failure (message on stderr).
import { HarnessError, compareKeys, loadSnapshot, runMain, writeLines } from './common.mjs';

async function main() {
  const [baseFile, targetFile] = process.argv.slice(2);
  if (!baseFile || !targetFile || process.argv.length > 4) {
    throw new HarnessError('usage: node diff.mjs BASE.heapsnapshot[.gz] TARGET.heapsnapshot[.gz]');
  }

  const base = await loadSnapshot(baseFile);
  const target = await loadSnapshot(targetFile);

  const interfaceDefinitions = target.interfaceDefinitions();
  const baseAggregates = base.aggregatesForDiff(interfaceDefinitions);
  // The first argument is only a cache key (the UI passes the base's proxy
  // uid; an in-process JSHeapSnapshot has none).
  const diffs = target.calculateSnapshotDiff('base', baseAggregates);

  const lines = [];
  for (const key of Object.keys(diffs).sort(compareKeys)) {
    const d = diffs[key];
    lines.push(JSON.stringify({
      key,
      name: d.name,
      new_count: d.addedCount,
      deleted_count: d.removedCount,
      count_delta: d.countDelta,
      alloc_size: d.addedSize,
      freed_size: d.removedSize,
      size_delta: d.sizeDelta,
    }));
  }
  await writeLines(lines);
}

runMain('diff.mjs', main);
