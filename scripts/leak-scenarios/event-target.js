'use strict';
// Leak fixture "event-target": listeners added with addEventListener() and never removed, on
// the two EventTargets Node programs use most (Node >= 15 stores these in a Map under the
// `kEvents` symbol, as a linked list of Listener objects per event type, not in `_events`):
//   - a long-lived AbortSignal: every request does
//     shutdown.signal.addEventListener('abort', function onShutdown() {...}) capturing a
//     PendingRequest and never removes it (the classic "11 abort listeners added to
//     [AbortSignal]" leak). Node prints MaxListenersExceededWarning once (limit 10).
//       global.shutdown.signal[<symbol kEvents>] Map {table} -> root .next -> Listener
//         (.next)* .listener -> onShutdown {context} -> request (PendingRequest)
//   - a plain EventTarget bus with the limit raised (events.setMaxListeners(0, bus):
//     unlimited, so Node stays quiet): every widget does
//     bus.addEventListener('update', function onUpdate(ev) {...}) capturing a Widget.
// Phases (one isolate, ids comparable):
//   warm-up : 20 of each, then removed again (removeEventListener)
//   baseline: 0
//   target  : + 200 requests, 200 widgets
//   final   : + 200, 200 more
// Usage: node --expose-gc scripts/leak-scenarios/event-target.js [OUTDIR]
const path = require('path');
const events = require('events');
const { outDirFromArgv, takeSnapshot, requireGc } =
  require(path.join(__dirname, '..', '..', 'snapshots', 'leaks', 'common', 'harness.js'));

const SCENARIO = 'event-target';
const WARMUP = 20;
const N = 200;

class PendingRequest {
  constructor(id) { this.id = id; this.aborted = false; }
}
class Widget {
  constructor(id) { this.id = id; this.version = 0; }
}

globalThis.shutdown = new AbortController();
globalThis.bus = new EventTarget();
events.setMaxListeners(0, globalThis.bus);
let next = 0;

function startRequest() {
  const request = new PendingRequest(next++);
  const onShutdown = function onShutdown() { request.aborted = true; };
  globalThis.shutdown.signal.addEventListener('abort', onShutdown);
  return onShutdown;
}
function mountWidget() {
  const widget = new Widget(next++);
  const onUpdate = function onUpdate(ev) { widget.version++; };
  globalThis.bus.addEventListener('update', onUpdate);
  return onUpdate;
}

function warmUp() {
  const handlers = [];
  for (let i = 0; i < WARMUP; i++) handlers.push([startRequest(), mountWidget()]);
  globalThis.bus.dispatchEvent(new Event('update'));
  for (const [a, u] of handlers) {
    globalThis.shutdown.signal.removeEventListener('abort', a);
    globalThis.bus.removeEventListener('update', u);
  }
}
function run(n) {
  for (let i = 0; i < n; i++) {
    startRequest();
    mountWidget();
  }
  globalThis.bus.dispatchEvent(new Event('update'));
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
