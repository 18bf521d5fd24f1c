'use strict';
// Shared helpers for the leak fixtures in snapshots/leaks/.
//
// Every scenario takes its snapshots IN ONE ISOLATE with v8.writeHeapSnapshot()
// and never disables the heap profiler in between, so V8 node ids of surviving
// objects are the same in baseline, target and final (heapsnapshot-reference.md
// §1.8) and a diff can match objects by id (§2.12).
//
// Before each snapshot we run two full GCs (node must be started with
// --expose-gc); writeHeapSnapshot() does one more itself. Only live objects
// remain in the file.
const path = require('path');
const v8 = require('v8');

const PHASES = ['baseline', 'target', 'final'];

function requireGc() {
  if (typeof globalThis.gc !== 'function') {
    throw new Error('run node with --expose-gc (global.gc is missing)');
  }
}

// node --expose-gc SCENARIO.js [OUTDIR] [--option...]
// OUTDIR is the first argument that does not start with "--" (default: the
// current directory). It is used as given, not resolved: every path string the
// program makes ends up in the heap, so scripts/gen-leak-fixtures.sh runs the
// programs in a fixed directory with OUTDIR "." (no random temp names in the
// snapshots).
function outDirFromArgv() {
  const dir = process.argv.slice(2).find((a) => !a.startsWith('--'));
  return dir || '.';
}

// Force GC twice, then write OUTDIR/<scenario>-<phase>.heapsnapshot (default options:
// no numeric values, no exposeInternals). Synchronous.
function takeSnapshot(outDir, scenario, phase) {
  requireGc();
  if (!PHASES.includes(phase)) throw new Error('unknown phase ' + phase);
  const file = path.join(outDir, scenario + '-' + phase + '.heapsnapshot');
  // Log BEFORE the snapshot: the first console.log creates process.stdout
  // (a SyncWriteStream or a net.Socket/tty stream, plus the code to run it).
  // Doing that after the baseline would show up as growth in the target.
  console.log('writing ' + file);
  globalThis.gc();
  globalThis.gc();
  v8.writeHeapSnapshot(file);
  return file;
}

module.exports = { PHASES, requireGc, outDirFromArgv, takeSnapshot };
