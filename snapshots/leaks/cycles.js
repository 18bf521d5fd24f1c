'use strict';
// Leak fixture "cycles": reference cycles kept alive from a global registry.
//
// linkPair(i) makes two CycleNode objects that point at each other through
// `peer` (a 2-cycle) and pushes the first one onto the global array
// `globalThis.cycleRegistry`. The second one is reachable only through the
// cycle:  global.cycleRegistry[k]            (CycleNode "a<k>")
//         global.cycleRegistry[k].peer       (CycleNode "b<k>")
// (and b.peer points back at a). The same call also builds an unregistered
// pair (CycleNode "x<k>"/"y<k>", also a 2-cycle) and drops it: a tracing GC
// frees unreachable cycles, so those must NOT show up in any snapshot. Only
// the registered pairs leak.
//
// Phases (one isolate, ids comparable):
//   warm-up : linkPair() x 20, then cycleRegistry.length = 0   (nothing left)
//   baseline: 0 CycleNode
//   target  : after linkPair() x 200            (400 CycleNode = 200 pairs)
//   final   : only with --final (not committed, to keep snapshots/leaks/
//             under ~20 MB): after linkPair() x 200 more  (800 = 400 pairs)
// Usage: node --expose-gc snapshots/leaks/cycles.js [OUTDIR] [--final]
const { outDirFromArgv, takeSnapshot, requireGc } = require('./common/harness.js');

const SCENARIO = 'cycles';
const WARMUP = 20;
const N = 200;
const WRITE_FINAL = process.argv.includes('--final');

class CycleNode {
  constructor(label) {
    this.label = label;   // short flat string: "a17", "b17"
    this.peer = null;
    this.weight = 1;
  }
}

globalThis.cycleRegistry = [];
let next = 0;

function makePair(first, second) {
  const a = new CycleNode(first);
  const b = new CycleNode(second);
  a.peer = b;
  b.peer = a;
  return a;
}

function linkPair() {
  const i = next++;
  globalThis.cycleRegistry.push(makePair('a' + i, 'b' + i));
  makePair('x' + i, 'y' + i);   // garbage: an unreachable cycle
}

// warmUp() and run() are separate functions, so that no stack slot of main()
// still holds an object of the last action when a snapshot is written.
function warmUp() {
  for (let i = 0; i < WARMUP; i++) linkPair();
  globalThis.cycleRegistry.length = 0;
}

function run(n) {
  for (let i = 0; i < n; i++) linkPair();
}

function main() {
  requireGc();
  const outDir = outDirFromArgv();

  warmUp();
  takeSnapshot(outDir, SCENARIO, 'baseline');
  run(N);
  takeSnapshot(outDir, SCENARIO, 'target');
  if (WRITE_FINAL) {
    run(N);
    takeSnapshot(outDir, SCENARIO, 'final');
  }
}

main();
