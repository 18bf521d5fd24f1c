'use strict';
// Leak fixture "more-leaks": three leaks the main scenarios do not have, in one program.
//   - fired timeouts kept alive: every retry schedules setTimeout(function retryRequest()
//     {...}, 1) capturing a RetryAttempt and pushes the handle onto global.retryTimers "to
//     clear it later", which never happens. The timers fire (Node marks them _destroyed but
//     keeps _onTimeout), so each handle still holds its callback and the RetryAttempt:
//       global.retryTimers[k] (Timeout) ._onTimeout (retryRequest) ->attempt (RetryAttempt)
//   - once() listeners never fired: global.jobEvents.once('cancel', function onCancel() {...})
//     capturing a PendingJob, and 'cancel' is never emitted. Node stores a bound onceWrapper
//     whose state's `listener` is onCancel. setMaxListeners(0) (unlimited) keeps Node quiet.
//       global.jobEvents._events.cancel[k] (native_bind) ... onCancel ->job (PendingJob)
//   - duplicated strings: renderPage() builds the same 4000-character page with
//     Array.prototype.join (a new flat string every time) and global.renderedPages keeps
//     every copy.
// Phases (one isolate, ids comparable):
//   warm-up : 20 of each, then everything dropped (timers fired and released)
//   baseline: 0
//   target  : + 200 retries, 200 once listeners, 150 pages
//   final   : + 200, 200, 150 more
// Usage: node --expose-gc scripts/leak-scenarios/more-leaks.js [OUTDIR]
const path = require('path');
const EventEmitter = require('events');
const { outDirFromArgv, takeSnapshot, requireGc } =
  require(path.join(__dirname, '..', '..', 'snapshots', 'leaks', 'common', 'harness.js'));

const SCENARIO = 'more-leaks';
const WARMUP = 20;
const RETRIES = 200, JOBS = 200, PAGES = 150;
const ROWS = new Array(100).fill(0).map((_, i) => '<tr><td>row ' + String(i).padStart(3, '0') + '</td></tr>');

class RetryAttempt {
  constructor(id) { this.id = id; this.fired = false; }
}
class PendingJob {
  constructor(id) { this.id = id; this.cancelled = false; }
}

globalThis.retryTimers = [];
globalThis.jobEvents = new EventEmitter();
globalThis.jobEvents.setMaxListeners(0);
globalThis.renderedPages = [];
let next = 0;

function scheduleRetry() {
  const attempt = new RetryAttempt(next++);
  globalThis.retryTimers.push(setTimeout(function retryRequest() { attempt.fired = true; }, 1));
}
function waitForCancel() {
  const job = new PendingJob(next++);
  globalThis.jobEvents.once('cancel', function onCancel() { job.cancelled = true; });
}
function renderPage() {
  // 4000 characters: '<table>' + 100 rows of 39 + '</table>' padded; the same text every time.
  const page = ['<table>', ROWS.join(''), '</table>'].join('');
  return [page, ' '.repeat(4000 - page.length)].join('');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const turn = () => new Promise((resolve) => setImmediate(resolve));

async function run(retries, jobs, pages) {
  for (let i = 0; i < retries; i++) scheduleRetry();
  for (let i = 0; i < jobs; i++) waitForCancel();
  for (let i = 0; i < pages; i++) globalThis.renderedPages.push(renderPage());
  // Let every retry timer fire.
  await sleep(50);
  await turn();
  await turn();
}

async function main() {
  requireGc();
  const outDir = outDirFromArgv();
  await run(WARMUP, WARMUP, WARMUP);
  globalThis.retryTimers.length = 0;
  globalThis.jobEvents.removeAllListeners('cancel');
  globalThis.renderedPages.length = 0;
  await turn();
  takeSnapshot(outDir, SCENARIO, 'baseline');
  await run(RETRIES, JOBS, PAGES);
  takeSnapshot(outDir, SCENARIO, 'target');
  await run(RETRIES, JOBS, PAGES);
  takeSnapshot(outDir, SCENARIO, 'final');
  process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });
