'use strict';
// Iterations shared by the node:test, Jest and Vitest tests: one leaks a LeakyThing per call
// into a module-level array, the others allocate as much and let it all go.

class LeakyThing {
  constructor(i) {
    this.i = i;
    this.payload = new Array(16).fill(i);
  }
}

class TransientThing {
  constructor(i) {
    this.i = i;
    this.payload = new Array(16).fill(i);
  }
}

const leaked = [];

/** One iteration of a leak: the array only ever grows. */
function leakyIteration(i) {
  leaked.push(new LeakyThing(i));
}

/** One iteration that allocates, awaits and drops everything. */
async function cleanIteration(i) {
  const things = [];
  for (let k = 0; k < 10; k++) things.push(new TransientThing(i + k));
  await new Promise((resolve) => setImmediate(resolve));
  const cache = new Map(things.map((t) => [t.i, t]));
  cache.clear();
  return things.length;
}

/** The same allocations without awaiting anything (for tests with fake timers). */
function cleanIterationSync(i) {
  const things = [];
  for (let k = 0; k < 10; k++) things.push(new TransientThing(i + k));
  const cache = new Map(things.map((t) => [t.i, t]));
  cache.clear();
  return things.length;
}

/**
 * Count and growth a leak finding must show: `before` objects already leaked, then `warmup`
 * iterations, then `iterations` before each of the target and final snapshots.
 */
function expectedLeak(iterations, warmup, before = 0) {
  const counts = [before + warmup, before + warmup + iterations, before + warmup + 2 * iterations];
  return { count: counts[2], growth: counts.join(' -> ') };
}

module.exports = {
  LeakyThing,
  TransientThing,
  leaked,
  leakyIteration,
  cleanIteration,
  cleanIterationSync,
  expectedLeak,
};
