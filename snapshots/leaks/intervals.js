'use strict';
// Leak fixture "intervals": setInterval() timers that are never cleared.
//
// startPolling(i) makes a PollState and calls
//   setInterval(function pollStatus() { state.polls++; ... }, 60000)
// and throws the returned Timeout away, so nothing can ever clear it. Node
// keeps every active timer in the TimersList for its duration (one list for
// 60000 ms, in the timers module's `timerListMap`/`timerListQueue`), a
// circular doubly linked list through `_idleNext`/`_idlePrev`:
//   TimersList(60000) -> _idleNext -> Timeout -> _idleNext -> Timeout ...
//   Timeout._onTimeout (closure pollStatus) -> context -> state (PollState)
// The interval is 60 s and the program ends long before, so pollStatus never
// runs and no timestamps end up in the data (the Timeout's own _idleStart is
// a smi and is not written without exposeNumericValues).
//
// Phases (one isolate, ids comparable):
//   warm-up : startPolling() x 20, then clearInterval on all of them
//   baseline: 0 PollState
//   target  : after startPolling() x 200          (200 Timeouts + PollStates)
//   final   : after startPolling() x 200 more     (400)
// The process exits with process.exit(0) (the intervals would keep it alive).
// Usage: node --expose-gc snapshots/leaks/intervals.js [OUTDIR]
const { outDirFromArgv, takeSnapshot, requireGc } = require('./common/harness.js');

const SCENARIO = 'intervals';
const WARMUP = 20;
const N = 200;
const PERIOD_MS = 60000;

class PollState {
  constructor(id) {
    this.id = id;
    this.target = 'svc-' + id;   // short flat string
    this.polls = 0;
  }
}

let next = 0;

function startPolling() {
  const state = new PollState(next++);
  return setInterval(function pollStatus() {
    state.polls++;
  }, PERIOD_MS);
}

// A separate function, so that no stack slot of main() still holds the last
// cleared Timeout when the baseline is written (a first version did: the
// baseline then had one extra Timeout retained by "(Stack roots)").
function warmUp() {
  const warm = [];
  for (let i = 0; i < WARMUP; i++) warm.push(startPolling());
  for (const t of warm) clearInterval(t);
}

function main() {
  requireGc();
  const outDir = outDirFromArgv();

  warmUp();
  takeSnapshot(outDir, SCENARIO, 'baseline');

  for (let i = 0; i < N; i++) startPolling();   // handles dropped
  takeSnapshot(outDir, SCENARIO, 'target');

  for (let i = 0; i < N; i++) startPolling();
  takeSnapshot(outDir, SCENARIO, 'final');

  process.exit(0);
}

main();
