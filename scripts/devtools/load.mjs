#!/usr/bin/env node
// Load a V8 heap snapshot with Chrome DevTools' own HeapSnapshot worker code
// (bundled by heap-snapshot-toolkit) and print one JSON line:
//   {"node_count":N,"edge_count":E,"total_size":T}
//
// Usage: node scripts/devtools/load.mjs FILE(.heapsnapshot | .heapsnapshot.gz)
//
// This does what heap-snapshot-toolkit's parse() does (HeapSnapshotLoader ->
// loader.close() -> parsingComplete -> buildSnapshot() with a
// SecondaryInitManager on a MessageChannel, all in one thread), but drives the
// loader itself so that
//   * a loader error is caught as soon as it happens (parse() only awaits
//     parsingComplete after the whole stream was read), and
//   * a loader that never finishes (e.g. a truncated file: DevTools' token
//     search then waits forever for another chunk) is reported as an error
//     instead of hanging / exiting silently.
// Exit status: 0 on success, 1 on any failure (message on stderr).
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { DevToolsAPI } from 'heap-snapshot-toolkit';

const { HeapSnapshotLoader, SecondaryInitManager } = DevToolsAPI;

let finished = false;

// Errors raised by this script itself (usage, stalled loader): no stack trace.
class HarnessError extends Error {}

function fail(err) {
  if (finished) return;
  finished = true;
  const msg = err instanceof HarnessError ? err.message
    : err instanceof Error ? (err.stack || err.message) : String(err);
  process.stderr.write(`load.mjs: ${msg}\n`);
  process.exit(1);
}

// Backstop: if the event loop empties before we printed a result, some
// DevTools promise never settled.
process.on('beforeExit', () => {
  if (!finished) fail(new HarnessError('DevTools did not finish loading the snapshot (input incomplete?)'));
});
process.on('unhandledRejection', fail);

async function isGzip(file) {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

// Resolves after the pending microtasks have run and one more event-loop turn.
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

async function main() {
  const file = process.argv[2];
  if (!file || process.argv.length > 3) {
    throw new HarnessError('usage: node load.mjs FILE.heapsnapshot[.gz]');
  }

  let stream = createReadStream(file);
  if (await isGzip(file)) {
    const gunzip = createGunzip();
    stream.on('error', (err) => gunzip.destroy(err));
    stream = stream.pipe(gunzip);
  }
  stream.setEncoding('utf8'); // the loader works on JS strings

  const loader = new HeapSnapshotLoader.HeapSnapshotLoader();
  let parsed = false;
  let parseError = null;
  loader.parsingComplete.then(
    () => { parsed = true; },
    (err) => { parseError = err; },
  );

  await new Promise((resolve, reject) => {
    stream.on('error', reject);
    stream.on('end', resolve);
    stream.on('data', (chunk) => {
      if (parseError) return; // keep draining; reported below
      loader.write(chunk);
    });
  });
  loader.close();

  // The loader is a promise chain fed by write()/close(); once the stream has
  // ended, everything it can still do runs as microtasks. Give it a few turns.
  for (let i = 0; i < 3 && !parsed && !parseError; i++) await nextTurn();
  if (parseError) throw parseError;
  if (!parsed) {
    throw new HarnessError('DevTools loader did not finish after the end of input (truncated or malformed snapshot?)');
  }

  const channel = new MessageChannel();
  let snapshot;
  try {
    // eslint-disable-next-line no-new
    new SecondaryInitManager(channel.port2);
    snapshot = await loader.buildSnapshot(channel.port1);
  } finally {
    channel.port1.close();
    channel.port2.close();
  }

  // nodeCount = nodes.length / nodeFieldCount (set in HeapSnapshot.initialize).
  // DevTools keeps its edge count private (#edgeCount =
  // containmentEdges.length / edgeFieldsCount); compute it the same way.
  const nodeCount = snapshot.nodeCount;
  const edgeCount = snapshot.containmentEdges.length / snapshot.edgeFieldsCount;
  // totalSize getter = rootNode().retainedSize() + (snapshot.extra_native_bytes ?? 0),
  // i.e. after DevTools' shallow-size transfer and dominator computation.
  const totalSize = snapshot.totalSize;
  for (const [k, v] of Object.entries({ nodeCount, edgeCount, totalSize })) {
    if (!Number.isFinite(v)) throw new HarnessError(`DevTools returned a non-finite ${k}: ${v}`);
  }

  finished = true;
  process.stdout.write(JSON.stringify({ node_count: nodeCount, edge_count: edgeCount, total_size: totalSize }) + '\n');
}

main().catch(fail);
