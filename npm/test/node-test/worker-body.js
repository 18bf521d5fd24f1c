'use strict';
// Runs in a worker thread for worker.test.js (not a test file itself: no `.test.` in its name).

const { parentPort, workerData, isMainThread } = require('node:worker_threads');
const { expectNoLeak } = require('heapsnap');
const { leakyIteration, cleanIteration } = require('../fixtures.js');

const iteration = workerData.which === 'leaky' ? leakyIteration : cleanIteration;
expectNoLeak(iteration, { iterations: 30, warmup: 10 }).then(
  () => parentPort.postMessage({ isMainThread, passed: true }),
  (err) => parentPort.postMessage({ isMainThread, passed: false, name: err.name, message: err.message }),
);
