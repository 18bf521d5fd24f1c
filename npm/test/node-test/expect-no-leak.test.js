'use strict';
// expectNoLeak under node:test, on the main thread.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { expectNoLeak, snapshot, binaryPath } = require('heapsnap');
const { leakyIteration, cleanIteration, expectedLeak, leaked, TransientThing } = require('../fixtures.js');

function scratchDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'heapsnap-npm-test-'));
}

test('uses HEAPSNAP_BIN', () => {
  assert.ok(process.env.HEAPSNAP_BIN, 'the tests run with HEAPSNAP_BIN set (tests/npm.rs sets it)');
  assert.strictEqual(binaryPath(), path.resolve(process.env.HEAPSNAP_BIN));
});

test('a leaky iteration fails with the class, count and path', async () => {
  const tmpdir = scratchDir();
  const before = leaked.length;
  const err = await expectNoLeak(leakyIteration, { iterations: 50, warmup: 5, tmpdir }).then(
    () => assert.fail('expectNoLeak resolved for a leak'),
    (e) => e,
  );
  assert.strictEqual(leaked.length - before, 105, 'ran 5 + 50 + 50 iterations');
  assert.strictEqual(err.name, 'LeakError');
  const { count, growth } = expectedLeak(50, 5, before);
  const leak = err.findings.find((f) => f.class === 'LeakyThing');
  assert.ok(leak, `a LeakyThing finding in:\n${err.message}`);
  assert.strictEqual(leak.count, count);
  assert.match(err.message, new RegExp(`LeakyThing x${count}\\b`));
  assert.ok(err.message.includes(`growth ${growth}`), err.message);
  assert.match(err.message, /held by .*leaked/, 'the path names the array holding them');
  assert.deepStrictEqual(fs.readdirSync(tmpdir), [], 'snapshots removed');
  fs.rmdirSync(tmpdir);
});

test('a clean iteration passes 50 iterations', async () => {
  const tmpdir = scratchDir();
  await expectNoLeak(cleanIteration, { iterations: 50, warmup: 5, tmpdir });
  assert.deepStrictEqual(fs.readdirSync(tmpdir), [], 'snapshots removed');
  fs.rmdirSync(tmpdir);
});

test("the helper's own snapshots and session do not count, at the most sensitive threshold", async () => {
  await expectNoLeak(() => {}, { iterations: 50, minGrowth: 1 });
});

test('snapshot() in every iteration leaves nothing that grows', async () => {
  const dir = scratchDir();
  let n = 0;
  await expectNoLeak(
    async () => {
      const file = path.join(dir, `iteration-${n++ % 2}.heapsnapshot`);
      await snapshot(file);
    },
    { iterations: 3, warmup: 1, minGrowth: 1 },
  );
  fs.rmSync(dir, { recursive: true });
});

test('keepSnapshots keeps the three files and names them in the error', async () => {
  const tmpdir = scratchDir();
  const before = leaked.length;
  const err = await expectNoLeak(leakyIteration, {
    iterations: 20,
    warmup: 0,
    tmpdir,
    keepSnapshots: true,
  }).catch((e) => e);
  assert.ok(err instanceof Error);
  const [dir] = fs.readdirSync(tmpdir);
  const kept = fs.readdirSync(path.join(tmpdir, dir)).sort();
  assert.deepStrictEqual(kept, ['baseline.heapsnapshot', 'final.heapsnapshot', 'target.heapsnapshot']);
  assert.ok(err.message.includes(path.join(tmpdir, dir, 'final.heapsnapshot')), err.message);
  assert.strictEqual(leaked.length - before, 40);
  assert.match(err.message, new RegExp(`LeakyThing x${leaked.length}\\b`));
  assert.ok(err.message.includes(`growth ${before} -> ${before + 20} -> ${before + 40}`), err.message);
  fs.rmSync(tmpdir, { recursive: true });
});

test('a missing binary is a clear error, and the snapshots are still removed', async () => {
  const tmpdir = scratchDir();
  const bin = path.join(tmpdir, 'no-such-heapsnap');
  await assert.rejects(
    expectNoLeak(() => {}, { iterations: 1, warmup: 0, tmpdir, bin }),
    (e) => e.message.includes(bin),
  );
  assert.deepStrictEqual(fs.readdirSync(tmpdir), []);
  fs.rmdirSync(tmpdir);
});

test('works while the test mocks timers', async (t) => {
  const apis = ['setTimeout', 'setInterval', 'setImmediate'];
  try {
    t.mock.timers.enable({ apis });
  } catch (_) {
    t.mock.timers.enable(apis); // Node 18's signature
  }
  await expectNoLeak((i) => new TransientThing(i), { iterations: 20, warmup: 2 });
  const before = leaked.length;
  await assert.rejects(expectNoLeak(leakyIteration, { iterations: 20, warmup: 2 }), (err) =>
    err.message.includes(`LeakyThing x${before + 42}`),
  );
});

test("an iteration's own error rejects expectNoLeak, and the snapshots are removed", async () => {
  const tmpdir = scratchDir();
  const boom = new Error('iteration 30 failed');
  await assert.rejects(
    expectNoLeak((i) => {
      if (i === 30) throw boom;
    }, { tmpdir }),
    (e) => e === boom,
  );
  assert.deepStrictEqual(fs.readdirSync(tmpdir), []);
  fs.rmdirSync(tmpdir);
  // The next call is not refused as concurrent (whatever it finds: with 2 iterations the
  // threshold is 1 object per step).
  const next = await expectNoLeak(() => {}, { iterations: 2, warmup: 0 }).then(
    () => 'resolved',
    (e) => e.message,
  );
  assert.ok(!next.includes('already running'), next);
});

test('a second call while one runs is refused (its iterations would mix into the snapshots)', async () => {
  const first = expectNoLeak(() => {}, { iterations: 5, warmup: 0 });
  await assert.rejects(expectNoLeak(() => {}), /already running in this thread/);
  await first;
});

test('bad options are rejected before anything runs', async () => {
  let ran = 0;
  await assert.rejects(expectNoLeak(() => ran++, { iterations: 0 }), /iterations must be an integer >= 1/);
  await assert.rejects(expectNoLeak(() => ran++, { warmup: 1.5 }), /warmup/);
  await assert.rejects(expectNoLeak('not a function'), TypeError);
  assert.strictEqual(ran, 0);
});
