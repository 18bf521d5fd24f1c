'use strict';
// The `heapsnap` command of the npm package (bin/heapsnap.js): it runs HEAPSNAP_BIN (or the
// platform package's binary) with the same arguments and stdio, exits with its status, ends
// by the same signal, and passes on the signals it receives.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

// The link npm made for the package's `bin`, run as a shell would (its #! line).
const wrapper = path.join(__dirname, '..', 'node_modules', '.bin', 'heapsnap');

function runWrapper(args, bin) {
  return spawnSync(wrapper, args, {
    env: { ...process.env, HEAPSNAP_BIN: bin },
    encoding: 'utf8',
  });
}

function script(dir, name, body) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

test('arguments, output and exit status pass through', () => {
  const real = process.env.HEAPSNAP_BIN;
  const ok = runWrapper(['--version'], real);
  assert.strictEqual(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^heapsnap \d+\.\d+\.\d+\n$/);
  const bad = runWrapper(['info', 'no-such.heapsnapshot'], real);
  assert.strictEqual(bad.status, 2);
  assert.match(bad.stderr, /no-such\.heapsnapshot/);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heapsnap-wrapper-'));
  const echo = script(dir, 'echo-args', 'for a in "$@"; do echo "[$a]"; done; echo err >&2; exit 7');
  const r = runWrapper(['a b', '', '--x=$HOME'], echo);
  assert.strictEqual(r.status, 7);
  assert.strictEqual(r.stdout, '[a b]\n[]\n[--x=$HOME]\n');
  assert.strictEqual(r.stderr, 'err\n');
  fs.rmSync(dir, { recursive: true });
});

test('a binary that is not there: exit 2 and a message naming it', () => {
  const missing = path.join(os.tmpdir(), 'heapsnap-no-such-binary');
  const r = runWrapper(['--version'], missing);
  assert.strictEqual(r.status, 2);
  assert.ok(r.stderr.includes(missing), r.stderr);
});

test('ends by the signal that ended the binary', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heapsnap-wrapper-'));
  const r = runWrapper([], script(dir, 'killed', 'kill -KILL $$'));
  assert.strictEqual(r.signal, 'SIGKILL');
  fs.rmSync(dir, { recursive: true });
});

test('SIGTERM to the wrapper reaches the binary', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heapsnap-wrapper-'));
  const marker = path.join(dir, 'got-term');
  const bin = script(
    dir,
    'waits',
    `trap 'echo TERM > "${marker}"; exit 42' TERM\necho ready\nwhile :; do sleep 0.05; done`,
  );
  const child = spawn(wrapper, [], {
    env: { ...process.env, HEAPSNAP_BIN: bin },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  child.kill('SIGTERM');
  const [code, signal] = await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  assert.deepStrictEqual([code, signal], [42, null], 'the exit status of the binary');
  assert.strictEqual(fs.readFileSync(marker, 'utf8'), 'TERM\n');
  fs.rmSync(dir, { recursive: true });
});
