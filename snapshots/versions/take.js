'use strict';
// Writes a heap snapshot of this isolate to FILE, on any Node from 8 to 26.
// v8.writeHeapSnapshot (Node 11.13 and later) where there is one; otherwise the
// inspector protocol in process (require('inspector').Session, Node 8 and
// later): HeapProfiler.takeHeapSnapshot streams the JSON in chunks, which are
// joined and written. Both keep the heap profiler on, so node ids stay stable
// across the snapshots of one process. gc() runs twice first (--expose-gc).
const fs = require('fs');
const v8 = require('v8');

function collect() {
  if (typeof global.gc !== 'function') throw new Error('run node with --expose-gc');
  global.gc();
  global.gc();
}

let session = null;

function takeSnapshot(file) {
  collect();
  if (typeof v8.writeHeapSnapshot === 'function') {
    v8.writeHeapSnapshot(file);
    return;
  }
  const inspector = require('inspector');
  if (!session) {
    session = new inspector.Session();
    session.connect();
  }
  const chunks = [];
  const onChunk = (m) => chunks.push(m.params.chunk);
  session.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  let failed = null;
  let done = false;
  // In process, the post callback runs before post() returns.
  session.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, (err) => {
    failed = err;
    done = true;
  });
  session.removeListener('HeapProfiler.addHeapSnapshotChunk', onChunk);
  if (!done) throw new Error('HeapProfiler.takeHeapSnapshot did not finish synchronously');
  if (failed) throw new Error('HeapProfiler.takeHeapSnapshot: ' + JSON.stringify(failed));
  fs.writeFileSync(file, chunks.join(''));
}

module.exports = { takeSnapshot };
