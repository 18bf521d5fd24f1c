'use strict';
// Leak fixture "worker": a leak inside a worker_threads Worker. The three
// snapshots are of the WORKER's heap (its own isolate), written from inside
// the worker with v8.writeHeapSnapshot(), so ids are comparable between them.
// (They have nothing to do with the ids of the main thread.)
//
// The main thread sends {cmd: 'jobs', count} messages; the worker runs each
// job and appends a WorkerJobResult to `globalThis.jobResults`, an array that
// is never trimmed (a "keep every result for debugging" leak). Each result
// owns a small `output` object.
//   worker isolate: global.jobResults (Array) -> [k] -> WorkerJobResult
// The main thread sends {cmd: 'snapshot', phase} to make the worker write
// OUTDIR/worker-<phase>.heapsnapshot, and waits for each reply.
//
// Phases (worker isolate, ids comparable):
//   warm-up : 20 jobs, then jobResults.length = 0
//   baseline: 0 WorkerJobResult
//   target  : after 200 jobs          (200)
//   final   : after 200 more jobs     (400)
//
// Run with --expose-gc (global.gc exists in the worker too). --expose-gc is a
// V8 flag, so, like the --max-old-space-size=512 of snapshots/worker.js, it
// changes V8's flag hash and the worker rejects Node's embedded code cache:
// ~48k nodes and ~0.94 MB gzipped per snapshot instead of ~55k / over 1 MB.
// Usage: node --expose-gc snapshots/leaks/worker.js [OUTDIR]
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

const SCENARIO = 'worker';
const WARMUP = 20;
const N = 200;

if (isMainThread) {
  const { outDirFromArgv, requireGc } = require('./common/harness.js');
  requireGc();
  const worker = new Worker(__filename, { workerData: { outDir: outDirFromArgv() } });
  const steps = [
    { cmd: 'warmup', count: WARMUP },
    { cmd: 'snapshot', phase: 'baseline' },
    { cmd: 'jobs', count: N },
    { cmd: 'snapshot', phase: 'target' },
    { cmd: 'jobs', count: N },
    { cmd: 'snapshot', phase: 'final' },
    { cmd: 'exit' },
  ];
  let step = 0;
  worker.on('message', (reply) => {
    if (reply !== 'ok') throw new Error('unexpected reply ' + reply);
    step++;
    if (step < steps.length) worker.postMessage(steps[step]);
  });
  worker.on('error', (err) => {
    console.error(err);
    process.exitCode = 1;
  });
  worker.postMessage(steps[0]);
} else {
  const { takeSnapshot } = require('./common/harness.js');

  class WorkerJobResult {
    constructor(jobId, checksum) {
      this.jobId = jobId;
      this.status = 'done';
      this.output = { checksum, label: 'job-' + jobId };
    }
  }

  globalThis.jobResults = [];
  let nextJob = 0;

  function runJob() {
    const jobId = nextJob++;
    let checksum = 0;
    for (let i = 0; i < 64; i++) checksum = (checksum * 31 + jobId + i) % 65521;
    globalThis.jobResults.push(new WorkerJobResult(jobId, checksum));
  }

  parentPort.on('message', (msg) => {
    switch (msg.cmd) {
      case 'warmup':
        for (let i = 0; i < msg.count; i++) runJob();
        globalThis.jobResults.length = 0;
        break;
      case 'jobs':
        for (let i = 0; i < msg.count; i++) runJob();
        break;
      case 'snapshot':
        takeSnapshot(workerData.outDir, SCENARIO, msg.phase);
        break;
      case 'exit':
        parentPort.close();
        return;
      default:
        throw new Error('unknown command ' + msg.cmd);
    }
    parentPort.postMessage('ok');
  });
}
