'use strict';
// snapshot(): plain and gzipped files that heapsnap reads, with object ids that stay comparable
// from one call to the next (one inspector session for the thread's lifetime).

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFileSync } = require('node:child_process');
const { snapshot } = require('heapsnap');

const bin = process.env.HEAPSNAP_BIN;

function heapsnapJson(...args) {
  return JSON.parse(execFileSync(bin, [...args, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 }));
}

test('plain and gzipped snapshots, ids comparable across calls', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heapsnap-npm-snapshot-'));
  const marker = { kept: new (class SnapshotMarker {})() };
  const a = await snapshot(path.join(dir, 'a.heapsnapshot'));
  const b = await snapshot(path.join(dir, 'b.heapsnapshot.gz'));
  assert.strictEqual(a, path.join(dir, 'a.heapsnapshot'));
  assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['a.heapsnapshot', 'b.heapsnapshot.gz'], 'no temp files left');

  if (process.platform !== 'win32') {
    assert.strictEqual(fs.statSync(a).mode & 0o777, 0o600, 'a heap holds secrets: owner only');
  }
  const plain = fs.readFileSync(a, 'utf8');
  assert.ok(plain.startsWith('{"snapshot":{'), plain.slice(0, 40));
  const gz = fs.readFileSync(b);
  assert.deepStrictEqual([...gz.subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
  assert.ok(zlib.gunzipSync(gz).toString('utf8').startsWith('{"snapshot":{'));

  const info = heapsnapJson('info', b);
  assert.ok(info.node_count > 10000, `node_count ${info.node_count}`);
  const summary = heapsnapJson('summary', a);
  assert.ok(summary.classes.some((c) => c.name === 'SnapshotMarker'), 'the live object is in the snapshot');

  const diff = heapsnapJson('diff', a, b);
  assert.strictEqual(diff.ids.verdict, 'comparable', JSON.stringify(diff.ids));
  assert.ok(marker.kept);
  fs.rmSync(dir, { recursive: true });
});

test('a snapshot bigger than one gzip batch (8 Mi characters) is one readable file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heapsnap-npm-snapshot-'));
  // About 200k more nodes and their names: the snapshot text grows past 8 Mi characters, so
  // the file is several gzip members.
  const ballast = Array.from({ length: 100_000 }, (_, i) => ({ name: `ballast-${i}` }));
  const file = await snapshot(path.join(dir, 'big.heapsnapshot.gz'));
  const text = zlib.gunzipSync(fs.readFileSync(file));
  assert.ok(text.length > 9 * 1024 * 1024, `only ${text.length} bytes: not past one batch`);
  const info = heapsnapJson('info', file);
  assert.ok(info.node_count > 200_000, `node_count ${info.node_count}`);
  assert.strictEqual(JSON.parse(text.toString('utf8')).snapshot.node_count, info.node_count);
  assert.strictEqual(ballast.length, 100_000);
  fs.rmSync(dir, { recursive: true });
});

test('an unwritable path is an error naming it, and leaves no file', async () => {
  const missing = path.join(os.tmpdir(), 'heapsnap-no-such-dir', 'x.heapsnapshot');
  await assert.rejects(snapshot(missing), (e) => e.message.includes(missing));
  await assert.rejects(snapshot(''), TypeError);
});
