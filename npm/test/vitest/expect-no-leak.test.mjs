// expectNoLeak under Vitest, through the ESM entry, in a worker thread (pool: 'threads').

import { isMainThread } from 'node:worker_threads';
import { test, expect } from 'vitest';
import { expectNoLeak } from 'heapsnap';
import fixtures from '../fixtures.js';

const { leakyIteration, cleanIteration, expectedLeak, leaked } = fixtures;

test('runs in a worker thread', () => {
  expect(isMainThread).toBe(false);
});

test('a leaky iteration fails with the class, count and path', async () => {
  const before = leaked.length;
  const { count, growth } = expectedLeak(50, 5, before);
  const err = await expectNoLeak(leakyIteration, { iterations: 50, warmup: 5 }).catch((e) => e);
  expect(err).toBeInstanceOf(Error);
  expect(err.name).toBe('LeakError');
  expect(err.message).toMatch(new RegExp(`LeakyThing x${count}\\b`));
  expect(err.message).toContain(`growth ${growth}`);
});

test('a clean iteration passes 50 iterations', async () => {
  await expect(expectNoLeak(cleanIteration, { iterations: 50, warmup: 5 })).resolves.toBeUndefined();
});

test("the helper's own snapshots do not count, at the most sensitive threshold", async () => {
  await expectNoLeak(() => {}, { iterations: 50, minGrowth: 1 });
});
