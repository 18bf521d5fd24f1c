'use strict';
// Leak fixture "listeners": listeners added to a long-lived EventEmitter and
// never removed.
//
// `globalThis.configBus` is an EventEmitter. subscribe(id) creates a
// ConfigSubscriber and registers `function onConfigChanged(config) {...}` for
// 'config-changed'; the closure captures the subscriber (its context has the
// variable `subscriber`). Nobody ever calls configBus.off(), so every
// subscriber stays reachable:
//   global.configBus._events['config-changed'][k]  (closure onConfigChanged)
//     -> context -> subscriber (ConfigSubscriber)
// setMaxListeners(1000) keeps Node from printing MaxListenersExceededWarning
// (the default limit is 10).
//
// Phases (one isolate, ids comparable):
//   warm-up : subscribe 20, emit once, removeAllListeners  (nothing left)
//   baseline: 0 subscribers
//   target  : after subscribe() x 200, one emit           (200)
//   final   : after subscribe() x 200 more, one emit      (400)
// Usage: node --expose-gc snapshots/leaks/listeners.js [OUTDIR]
const EventEmitter = require('events');
const { outDirFromArgv, takeSnapshot, requireGc } = require('./common/harness.js');

const SCENARIO = 'listeners';
const WARMUP = 20;
const N = 200;

class ConfigSubscriber {
  constructor(id) {
    this.id = id;
    this.name = 'sub-' + id;      // short (< 13 chars), so a flat string
    this.appliedVersion = 0;
  }
}

globalThis.configBus = new EventEmitter();
globalThis.configBus.setMaxListeners(1000);

let nextId = 0;
let version = 0;

function subscribe() {
  const subscriber = new ConfigSubscriber(nextId++);
  globalThis.configBus.on('config-changed', function onConfigChanged(config) {
    subscriber.appliedVersion = config.version;
  });
}

function publish() {
  version++;
  globalThis.configBus.emit('config-changed', { version });
}

// warmUp() and run() are separate functions, so that no stack slot of main()
// still holds an object of the last action when a snapshot is written.
function warmUp() {
  for (let i = 0; i < WARMUP; i++) subscribe();
  publish();
  globalThis.configBus.removeAllListeners('config-changed');
}

function run(n) {
  for (let i = 0; i < n; i++) subscribe();
  publish();
}

function main() {
  requireGc();
  const outDir = outDirFromArgv();

  warmUp();
  takeSnapshot(outDir, SCENARIO, 'baseline');
  run(N);
  takeSnapshot(outDir, SCENARIO, 'target');
  run(N);
  takeSnapshot(outDir, SCENARIO, 'final');
}

main();
