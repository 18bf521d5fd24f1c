'use strict';
// Fixture "tracking": a main-thread snapshot with allocation-tracking data
// (trace_function_infos, trace_tree, samples), taken through the inspector
// (HeapProfiler domain), in process:
//   HeapProfiler.enable
//   HeapProfiler.startTrackingHeapObjects {trackAllocations: true}
//   ... main thread allocates in named functions, over a few timer ticks so
//       that V8 records heap-stats samples ...
//   HeapProfiler.takeHeapSnapshot, collecting HeapProfiler.addHeapSnapshotChunk
//
// The inspector session is driven from a worker thread with
// inspector.Session#connectToMainThread(). Reason: with a plain in-process
// session.connect(), the chunk callbacks run JS on the main thread *while*
// V8 serializes the snapshot; that JS is itself allocation-tracked, so V8
// appends new entries to trace_function_infos after it has already written
// trace_function_count in the header (observed: header 23, array 31 entries).
// Driving the session from another isolate keeps the file self-consistent.
//
// Usage: node snapshots/tracking.js [OUT.heapsnapshot]
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

if (isMainThread) {
  const path = require('path');
  const out = path.resolve(process.argv[2] || path.join(__dirname, 'tracking.heapsnapshot'));

  class TrackedItem {
    constructor(i) {
      this.i = i;
      this.name = 'tracked-' + i;
      this.children = [];
    }
  }

  function makeItem(i) {
    return new TrackedItem(i);
  }

  function buildTree(n) {
    const root = makeItem(-1);
    for (let i = 0; i < n; i++) {
      const item = makeItem(i);
      for (let j = 0; j < 3; j++) item.children.push({ parent: i, j });
      root.children.push(item);
    }
    return root;
  }

  function makeStrings(n) {
    const arr = [];
    for (let i = 0; i < n; i++) arr.push('str-' + i + '-' + 'x'.repeat(i % 20));
    return arr;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function allocate() {
    // Several rounds separated by timer ticks: the inspector pushes heap-stats
    // samples (the "samples" section) from a ~50 ms repeating timer.
    globalThis.trackedTrees = [];
    globalThis.trackedStrings = [];
    for (let round = 0; round < 4; round++) {
      globalThis.trackedTrees.push(buildTree(20));
      globalThis.trackedStrings.push(makeStrings(20));
      await sleep(120);
    }
  }

  const worker = new Worker(__filename, { workerData: { out } });
  worker.on('error', (err) => { console.error(err); process.exitCode = 1; });
  worker.on('message', (msg) => {
    if (msg === 'tracking') {
      allocate().then(() => worker.postMessage('snapshot'));
    } else if (msg === 'done') {
      console.log('wrote', out);
    }
  });
} else {
  const fs = require('fs');
  const inspector = require('inspector');
  const session = new inspector.Session();
  session.connectToMainThread();

  const post = (method, params) => new Promise((resolve, reject) => {
    session.post(method, params || {}, (err, result) => (err ? reject(err) : resolve(result)));
  });

  // An inspector session does not keep the worker's event loop alive while a
  // reply is pending, so hold it open until we are done.
  const keepAlive = setInterval(() => {}, 1000);

  (async () => {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
    parentPort.postMessage('tracking');
    await new Promise((resolve) => parentPort.once('message', resolve));

    const fd = fs.openSync(workerData.out, 'w');
    const onChunk = (m) => fs.writeSync(fd, m.params.chunk);
    session.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
    await post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    session.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
    fs.closeSync(fd);
    // No stopTrackingHeapObjects: it would stream a second snapshot.
    session.disconnect();
    clearInterval(keepAlive);
    parentPort.postMessage('done');
  })().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
