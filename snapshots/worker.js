'use strict';
// Fixture "worker": the heap of a worker_threads Worker isolate (not the main
// thread's). The worker allocates some objects and reports "ready"; the main
// thread then captures the *worker's* heap with worker.getHeapSnapshot()
// (a Readable stream) and writes it to the output file. Default options.
//
// Size note: with no V8 flags, a Node 20 worker accepts Node's embedded code
// cache for its internal modules, which materialises ~2000 BytecodeArrays and
// makes the snapshot ~5.1 MB raw / ~1.02 MB gzipped (over our 1 MB limit).
// Any V8 flag changes V8's flag hash, so the code cache is rejected and
// functions compile lazily (~47k instead of ~55k nodes, ~0.91 MB gzipped).
// scripts/gen-fixtures.sh therefore runs this script with the harmless
// --max-old-space-size=512.
// Usage: node --max-old-space-size=512 snapshots/worker.js [OUT.heapsnapshot]
const { Worker, isMainThread, parentPort } = require('worker_threads');

if (isMainThread) {
  const fs = require('fs');
  const path = require('path');
  const { pipeline } = require('stream/promises');
  const out = path.resolve(process.argv[2] || path.join(__dirname, 'worker.heapsnapshot'));
  const worker = new Worker(__filename);
  worker.on('error', (err) => { console.error(err); process.exitCode = 1; });
  worker.once('message', async (msg) => {
    if (msg !== 'ready') throw new Error('unexpected message ' + msg);
    try {
      const stream = await worker.getHeapSnapshot();
      await pipeline(stream, fs.createWriteStream(out));
      console.log('wrote', out);
    } catch (err) {
      console.error(err);
      process.exitCode = 1;
    } finally {
      worker.postMessage('exit');
    }
  });
} else {
  class WorkerJob {
    constructor(id, payload) {
      this.id = id;
      this.payload = payload;
      this.done = false;
    }
  }
  const jobs = [];
  for (let i = 0; i < 30; i++) jobs.push(new WorkerJob(i, { text: 'job-' + i, items: [i, i + 1] }));
  const queue = new Map(jobs.map((j) => [j.id, j]));
  globalThis.workerFixture = { jobs, queue, greeting: 'hello from worker' };

  // Keep the worker alive (the port is ref'ed while it has a listener) until
  // the main thread has its snapshot.
  parentPort.on('message', (msg) => { if (msg === 'exit') parentPort.close(); });
  parentPort.postMessage('ready');
}
