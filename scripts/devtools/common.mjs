// Shared harness code for the DevTools oracle scripts (load.mjs, dump.mjs,
// diff.mjs): load a V8 heap snapshot with Chrome DevTools' own HeapSnapshot
// worker code (bundled by heap-snapshot-toolkit) and report failures cleanly.
//
// loadSnapshot() does what heap-snapshot-toolkit's parse() does
// (HeapSnapshotLoader -> loader.close() -> parsingComplete -> buildSnapshot()
// with a SecondaryInitManager on a MessageChannel, all in one thread), but
// drives the loader itself so that
//   * a loader error is caught as soon as it happens (parse() only awaits
//     parsingComplete after the whole stream was read), and
//   * a loader that never finishes (e.g. a truncated file: DevTools' token
//     search then waits forever for another chunk) is reported as an error
//     instead of hanging / exiting silently.
// runMain() turns any failure into "<prog>: <message>" on stderr and exit
// status 1, including the case where some DevTools promise never settles.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { DevToolsAPI } from 'heap-snapshot-toolkit';

const { HeapSnapshotLoader, SecondaryInitManager } = DevToolsAPI;

// Errors raised by the harness itself (usage, stalled loader): no stack trace.
export class HarnessError extends Error {}

// Runs `main` (an async function) as the whole program. `prog` prefixes error
// messages. Exit status: 0 once main() has resolved, 1 on any failure.
export function runMain(prog, main) {
  let finished = false;

  function fail(err) {
    if (finished) return;
    finished = true;
    const msg = err instanceof HarnessError ? err.message
      : err instanceof Error ? (err.stack || err.message) : String(err);
    process.stderr.write(`${prog}: ${msg}\n`);
    process.exit(1);
  }

  // Backstop: if the event loop empties before main() finished, some DevTools
  // promise never settled.
  process.on('beforeExit', () => {
    if (!finished) fail(new HarnessError('DevTools did not finish loading the snapshot (input incomplete?)'));
  });
  process.on('unhandledRejection', fail);

  main().then(() => { finished = true; }, fail);
}

export async function isGzip(file) {
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

// Loads FILE (.heapsnapshot, or gzipped: detected by the magic bytes 1f 8b)
// and returns DevTools' fully initialised JSHeapSnapshot (shallow-size
// transfer, dominators, retained sizes, distances, class names and interface
// definitions all computed). Throws on any loader or DevTools error.
export async function loadSnapshot(file) {
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
  try {
    // eslint-disable-next-line no-new
    new SecondaryInitManager(channel.port2);
    return await loader.buildSnapshot(channel.port1);
  } finally {
    channel.port1.close();
    channel.port2.close();
  }
}

// Writes `lines` (strings without newline) to stdout, one per line, in large
// chunks; resolves once everything has been handed to the OS. If the reader
// goes away (EPIPE, e.g. `dump.mjs FILE | head`), exits quietly with status 0.
export async function writeLines(lines) {
  if (!process.stdout.listenerCount('error')) {
    process.stdout.on('error', (err) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  const CHUNK = 1 << 20;
  let buf = '';
  for (const line of lines) {
    buf += line + '\n';
    if (buf.length >= CHUNK) {
      await writeOut(buf);
      buf = '';
    }
  }
  if (buf) await writeOut(buf);
}

function writeOut(text) {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => {
      if (!err) resolve();
      else if (err.code === 'EPIPE') process.exit(0);
      else reject(err);
    });
  });
}

// Deterministic order for class keys: JS string order (UTF-16 code units),
// i.e. what Array.prototype.sort() does without a comparator.
export function compareKeys(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}
