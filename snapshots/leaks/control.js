'use strict';
// Control fixture "control": the same kinds of work as the leak scenarios,
// but everything is released. baseline, target and final must show no growth
// above noise.
//
// One action (doWork(i)) does all of this:
//   - listeners: makes a ControlSubscriber, adds
//     `function onControlEvent() {...}` (capturing it) to the global
//     EventEmitter `controlBus`, emits once, removes the listener again;
//   - intervals: makes a ControlPollState and
//     `setInterval(function controlPoll() {...}, 60000)`, then clearInterval();
//   - cycles: makes a ControlCycleNode pair pointing at each other, unreferenced;
//   - map (scratch): puts a ControlScratchEntry into the global Map
//     `controlScratch`; the map is cleared at the end of every run of actions;
//   - map (bounded cache): puts a ControlCacheEntry into the global
//     `controlCache` (class BoundedCache around a Map) that evicts its oldest
//     entry beyond 25 entries. After each run of >= 25 actions it holds exactly
//     25 entries, but different ones: in a Comparison by id this class shows
//     25 new and 25 deleted with a count delta of 0 (churn, not growth).
//
// Phases (one isolate, ids comparable):
//   warm-up : doWork() x 30, scratch cleared
//   baseline: ControlCacheEntry 25, every other Control* class 0
//   target  : after doWork() x 200, scratch cleared     (same counts)
//   final   : after doWork() x 200 more, scratch cleared (same counts)
// Usage: node --expose-gc snapshots/leaks/control.js [OUTDIR]
const EventEmitter = require('events');
const { outDirFromArgv, takeSnapshot, requireGc } = require('./common/harness.js');

const SCENARIO = 'control';
const WARMUP = 30;
const N = 200;
const CACHE_LIMIT = 25;
const PERIOD_MS = 60000;

class ControlSubscriber {
  constructor(id) {
    this.id = id;
    this.name = 'ctl-' + id;
    this.appliedVersion = 0;
  }
}

class ControlPollState {
  constructor(id) {
    this.id = id;
    this.target = 'svc-' + id;
    this.polls = 0;
  }
}

class ControlCycleNode {
  constructor(label) {
    this.label = label;
    this.peer = null;
  }
}

class ControlScratchEntry {
  constructor(id) {
    this.id = id;
    this.payload = ['scratch', id];
  }
}

class ControlCacheEntry {
  constructor(key) {
    this.key = key;
    this.hits = 0;
  }
}

class BoundedCache {
  constructor(limit) {
    this.limit = limit;
    this.entries = new Map();
  }

  set(key, value) {
    this.entries.set(key, value);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value;
      this.entries.delete(oldest);
    }
  }
}

globalThis.controlBus = new EventEmitter();
globalThis.controlScratch = new Map();
globalThis.controlCache = new BoundedCache(CACHE_LIMIT);
let next = 0;

function doWork() {
  const i = next++;

  const subscriber = new ControlSubscriber(i);
  const onControlEvent = function onControlEvent(event) {
    subscriber.appliedVersion = event.version;
  };
  globalThis.controlBus.on('control-event', onControlEvent);
  globalThis.controlBus.emit('control-event', { version: i });
  globalThis.controlBus.off('control-event', onControlEvent);

  const state = new ControlPollState(i);
  const timer = setInterval(function controlPoll() {
    state.polls++;
  }, PERIOD_MS);
  clearInterval(timer);

  const a = new ControlCycleNode('p' + i);
  const b = new ControlCycleNode('q' + i);
  a.peer = b;
  b.peer = a;

  globalThis.controlScratch.set('scr:' + i, new ControlScratchEntry(i));
  globalThis.controlCache.set('ctl:' + i, new ControlCacheEntry('ctl:' + i));
}

// Separate functions, so that no stack slot of main() holds the last objects.
function run(n) {
  for (let k = 0; k < n; k++) doWork();
  globalThis.controlScratch.clear();
}

function main() {
  requireGc();
  const outDir = outDirFromArgv();

  run(WARMUP);
  takeSnapshot(outDir, SCENARIO, 'baseline');
  run(N);
  takeSnapshot(outDir, SCENARIO, 'target');
  run(N);
  takeSnapshot(outDir, SCENARIO, 'final');
}

main();
