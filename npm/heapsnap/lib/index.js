'use strict';
// heapsnap's JavaScript API: heap snapshots of the current process (or worker thread) and a leak
// assertion for test runners, analysed by the native `heapsnap` binary.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const inspector = require('node:inspector');
const { execFile } = require('node:child_process');
const { binaryPath } = require('./binary.js');

// One inspector session for the life of the thread. V8 forgets its object ids when the
// HeapProfiler domain is disabled, which happens when a session ends: keeping this one open
// (and enabled) makes the ids of every snapshot taken here comparable, which is what the
// three-snapshot method needs. An in-process session does not keep the event loop alive.
let session = null;
let profilerEnabled = false;
// Whether an expectNoLeak call is between its first iteration and its analysis.
let running = false;

function post(method, params) {
  if (session === null) {
    session = new inspector.Session();
    session.connect();
  }
  return new Promise((resolve, reject) => {
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

// Gzip members are compressed this many UTF-16 units of snapshot text at a time. The chunks
// arrive synchronously while V8 serialises, so they are compressed synchronously; a gzip file
// may hold several members (RFC 1952), which gunzip, zlib and heapsnap read as one stream.
const GZIP_BATCH = 8 << 20;

/**
 * Writes a heap snapshot of this thread's V8 heap to `file` (gzipped when it ends in `.gz`),
 * after a full garbage collection. The file appears only when complete: it is written to a
 * temporary file in the same directory and renamed.
 */
async function snapshot(file, options = {}) {
  if (typeof file !== 'string' || file === '') {
    throw new TypeError('heapsnap: snapshot(path) needs a file path');
  }
  const target = path.resolve(file);
  const gzip = options.gzip ?? target.endsWith('.gz');
  if (!profilerEnabled) {
    await post('HeapProfiler.enable', {});
    profilerEnabled = true;
  }
  if (options.gc !== false) await post('HeapProfiler.collectGarbage', {});

  const tmp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`,
  );
  let fd;
  try {
    fd = fs.openSync(tmp, 'wx', 0o600); // a heap holds secrets: owner only, as v8.writeHeapSnapshot
  } catch (err) {
    throw new Error(`heapsnap: cannot write the snapshot ${file}: ${err.message}`, { cause: err });
  }
  let failure = null;
  let batch = [];
  let batchLength = 0;
  const flush = () => {
    if (batch.length === 0) return;
    fs.writeSync(fd, zlib.gzipSync(Buffer.from(batch.join(''), 'utf8')));
    batch = [];
    batchLength = 0;
  };
  const onChunk = (message) => {
    if (failure !== null) return;
    try {
      const chunk = message.params.chunk;
      if (!gzip) {
        fs.writeSync(fd, chunk, null, 'utf8');
        return;
      }
      batch.push(chunk);
      batchLength += chunk.length;
      if (batchLength >= GZIP_BATCH) flush();
    } catch (err) {
      failure = err;
    }
  };
  session.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  try {
    await post('HeapProfiler.takeHeapSnapshot', {
      reportProgress: false,
      captureNumericValue: options.captureNumericValue === true,
      exposeInternals: false,
    });
    if (failure !== null) throw failure;
    if (gzip) flush();
    fs.closeSync(fd);
    fs.renameSync(tmp, target);
  } catch (err) {
    try {
      fs.closeSync(fd);
    } catch (_) {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw new Error(`heapsnap: cannot write the snapshot ${file}: ${err.message}`, { cause: err });
  } finally {
    session.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  }
  return target;
}

/** One turn of the event loop that timer mocks (Jest, Vitest, node:test) cannot hold up: a
 * trip through libuv's thread pool, whose callback runs in a later poll phase. */
function loopTurn() {
  return new Promise((resolve) => {
    fs.stat(__filename, () => resolve());
  });
}

/**
 * Lets what the garbage collector found dead finish dying before a snapshot: a GC only queues
 * async_hooks destroy hooks (test runners map every async resource to its test until then) and
 * FinalizationRegistry callbacks, which run on a later turn of the event loop. Two rounds of
 * GC and a loop turn drain them, so they do not look like growth.
 */
async function settle() {
  for (let round = 0; round < 2; round++) {
    await post('HeapProfiler.collectGarbage', {});
    await loopTurn();
  }
}

function humanBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** A finding as `heapsnap leaks` prints it. */
function findingText(f, rank, snapshots) {
  const lines = [`#${rank} ${f.category}: ${f.title}`];
  let line = `   ${f.class} x${f.count}  retains ${humanBytes(f.retained_size)}`;
  if (Array.isArray(f.growth)) {
    line += `  growth ${f.growth.join(' -> ')}`;
    if (f.survivors != null) {
      line +=
        snapshots >= 3
          ? ` (${f.survivors} allocated between snapshots 1 and 2, still alive)`
          : ` (${f.survivors} new)`;
    }
  }
  lines.push(line);
  if (Array.isArray(f.retains) && f.retains.length > 0) {
    const parts = f.retains
      .slice(0, 3)
      .map((c) => `${c.class} x${c.count} (${humanBytes(c.size)})`);
    lines.push(`   keeps alive: ${parts.join(', ')}`);
  }
  const holders = Array.isArray(f.holders) && f.holders.length > 0 ? f.holders : [f.path];
  holders.forEach((h, k) => {
    if (h && h.text) lines.push(`   ${k === 0 ? 'held by' : 'and by '} ${h.text}`);
  });
  return lines.join('\n');
}

function envFlag(name) {
  const v = process.env[name];
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

function positiveInt(name, v, min) {
  if (!Number.isInteger(v) || v < min) {
    throw new TypeError(`heapsnap: expectNoLeak option ${name} must be an integer >= ${min}, got ${v}`);
  }
  return v;
}

function runLeaks(bin, args) {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { maxBuffer: 1 << 30, windowsHide: true }, (err, stdout, stderr) => {
      const code = err ? err.code : 0;
      if (code === 0 || code === 1) {
        try {
          resolve(JSON.parse(stdout));
        } catch (parseErr) {
          reject(new Error(`heapsnap: cannot read the output of ${bin} leaks: ${parseErr.message}`));
        }
        return;
      }
      const detail = String(stderr).trim() || (err && err.message) || `exit status ${code}`;
      reject(new Error(`heapsnap: ${bin} leaks failed: ${detail}`));
    });
  });
}

/**
 * Runs `iteration` `warmup` times, then takes a baseline snapshot, runs it `iterations` times,
 * takes a target snapshot, runs it `iterations` times again and takes a final snapshot; then
 * `heapsnap leaks` applies the three-snapshot method. Rejects with an Error describing every
 * finding that grew with the iterations (class, count, retaining path); resolves otherwise.
 */
async function expectNoLeak(iteration, options = {}) {
  if (typeof iteration !== 'function') {
    throw new TypeError('heapsnap: expectNoLeak(fn) needs a function that runs one iteration');
  }
  const iterations = positiveInt('iterations', options.iterations ?? 50, 1);
  const warmup = positiveInt('warmup', options.warmup ?? 5, 0);
  // A leak of one object per iteration gains `iterations` objects at every step; the
  // harness's own churn (promises, the inspector's messages) is a handful of objects.
  const minGrowth = positiveInt(
    'minGrowth',
    options.minGrowth ?? Math.max(1, Math.min(10, Math.floor(iterations / 2))),
    1,
  );
  const keep = options.keepSnapshots ?? envFlag('HEAPSNAP_KEEP_SNAPSHOTS');
  const bin = options.bin ?? binaryPath();
  if (running) {
    // The other call's iterations would land between this one's snapshots, and the reverse.
    throw new Error(
      'heapsnap: expectNoLeak is already running in this thread; await one before starting the ' +
        'next (with node:test, do not run these tests concurrently)',
    );
  }
  running = true;
  let dir;
  try {
    dir = fs.mkdtempSync(path.join(options.tmpdir ?? os.tmpdir(), 'heapsnap-'));
  } catch (err) {
    running = false;
    throw err;
  }
  const files = ['baseline', 'target', 'final'].map((n) => path.join(dir, `${n}.heapsnapshot`));
  let ran = 0;
  const run = async (n) => {
    for (let i = 0; i < n; i++) await iteration(ran++);
  };
  const settledSnapshot = async (file) => {
    await settle();
    await snapshot(file);
  };
  try {
    await run(warmup);
    await settledSnapshot(files[0]);
    await run(iterations);
    await settledSnapshot(files[1]);
    await run(iterations);
    await settledSnapshot(files[2]);
    const args = ['leaks', '--json', '--fail-on-leak', '--quiet', '--min-growth', String(minGrowth)];
    for (const c of options.categories ?? []) args.push('--category', c);
    const report = await runLeaks(bin, [...args, ...files]);
    const growing = (report.findings ?? []).filter((f) => f.growing);
    if (growing.length > 0) {
      const head =
        `heapsnap: ${growing.length === 1 ? '1 leak grows' : `${growing.length} leaks grow`} ` +
        `with the iterations (${iterations} iterations between snapshots, after ${warmup} warmup)`;
      const body = growing.map((f, i) => findingText(f, i + 1, files.length)).join('\n');
      const tail = keep ? `\nsnapshots: ${files.join(' ')}` : '';
      const err = new Error(`${head}\n${body}${tail}`);
      err.name = 'LeakError';
      // Point at the caller's `await expectNoLeak(...)`, not at this file.
      Error.captureStackTrace(err, expectNoLeak);
      // Not enumerable: test runners print an error's own properties after its message.
      Object.defineProperty(err, 'findings', { value: growing, enumerable: false });
      Object.defineProperty(err, 'report', { value: report, enumerable: false });
      throw err;
    }
  } finally {
    running = false;
    if (keep) {
      process.stderr.write(`heapsnap: expectNoLeak kept its snapshots: ${files.join(' ')}\n`);
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

module.exports = { snapshot, expectNoLeak, binaryPath };
