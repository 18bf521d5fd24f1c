'use strict';
// expectNoLeak inside a worker thread: the snapshots are of the worker's own isolate.

const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

function inWorker(which) {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(__dirname, 'worker-body.js'), { workerData: { which } });
    let result;
    w.once('message', (m) => {
      result = m;
    });
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`worker exited ${code}`))));
  });
}

test('a leak in a worker thread is found, with its class and count', async () => {
  const r = await inWorker('leaky');
  assert.strictEqual(r.isMainThread, false);
  assert.strictEqual(r.passed, false, 'expectNoLeak rejected');
  assert.strictEqual(r.name, 'LeakError');
  assert.match(r.message, /LeakyThing x70\b/);
  assert.ok(r.message.includes('growth 10 -> 40 -> 70'), r.message);
});

test('a clean iteration in a worker thread passes', async () => {
  const r = await inWorker('clean');
  assert.strictEqual(r.isMainThread, false);
  assert.strictEqual(r.passed, true, r.message);
});
