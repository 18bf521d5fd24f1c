// The ESM entry, loaded by Node's own loader: the same functions as the CommonJS entry (one
// module instance, so one inspector session), named and default exports.

import test from 'node:test';
import assert from 'node:assert';
import { createRequire } from 'node:module';
import heapsnap, { expectNoLeak, snapshot, binaryPath } from 'heapsnap';
import fixtures from '../fixtures.js';

test('the ESM and CommonJS entries are one module', () => {
  const cjs = createRequire(import.meta.url)('heapsnap');
  assert.strictEqual(expectNoLeak, cjs.expectNoLeak);
  assert.strictEqual(snapshot, cjs.snapshot);
  assert.strictEqual(binaryPath, cjs.binaryPath);
  assert.strictEqual(heapsnap.expectNoLeak, expectNoLeak);
});

test('a leak found through the ESM entry', async () => {
  const before = fixtures.leaked.length;
  const { count, growth } = fixtures.expectedLeak(20, 2, before);
  await assert.rejects(expectNoLeak(fixtures.leakyIteration, { iterations: 20, warmup: 2 }), (err) => {
    assert.match(err.message, new RegExp(`LeakyThing x${count}\\b`));
    assert.ok(err.message.includes(`growth ${growth}`), err.message);
    return true;
  });
});
