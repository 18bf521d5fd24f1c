'use strict';
// expectNoLeak under Jest (its own module registry and vm context per test file). A snapshot of
// Jest's larger heap takes about 2 s here, so this file keeps to two cases.

const { expectNoLeak } = require('heapsnap');
const { leakyIteration, cleanIterationSync, expectedLeak, leaked } = require('../fixtures.js');

jest.setTimeout(120_000);

test('a leaky iteration fails with the class, count and path', async () => {
  const { count, growth } = expectedLeak(50, 5, leaked.length);
  const err = await expectNoLeak(leakyIteration, { iterations: 50, warmup: 5 }).catch((e) => e);
  expect(err).toBeInstanceOf(Error);
  expect(err.name).toBe('LeakError');
  expect(err.message).toMatch(new RegExp(`LeakyThing x${count}\\b`));
  expect(err.message).toContain(`growth ${growth}`);
  expect(err.findings.map((f) => f.class)).toContain('LeakyThing');
});

test("a clean iteration passes 50 iterations, the helper's own objects not counted even at minGrowth 1, with fake timers on", async () => {
  // Jest's fake timers replace setImmediate & co.; expectNoLeak must not depend on them (the
  // iteration here allocates and drops without awaiting a timer).
  jest.useFakeTimers();
  try {
    await expect(
      expectNoLeak(cleanIterationSync, { iterations: 50, warmup: 5, minGrowth: 1 }),
    ).resolves.toBeUndefined();
  } finally {
    jest.useRealTimers();
  }
});
