'use strict';
// Leak fixture "closure-context": the classic "theThing" leak (Meteor blog,
// "An interesting kind of JavaScript memory leak", 2013), with a class name.
//
// replaceThing() reads the current globalThis.theThing into `originalThing`,
// which the inner function `unused` refers to, so V8 puts `originalThing` in
// the context of replaceThing(). `someMethod` is created in the same scope and
// therefore shares that context, although it never uses `originalThing`.
// The new LeakyThing keeps someMethod, someMethod keeps the context, the
// context keeps the previous LeakyThing, and so on: every LeakyThing ever
// made stays alive in one chain, each with its own 4 KiB string:
//   global.theThing (LeakyThing, newest)
//     .someMethod -> context -> originalThing (LeakyThing, one older)
//     .someMethod -> context -> originalThing ... (k times)
// `unused` itself is never kept (nothing references it after the call).
//
// Phases (one isolate, ids comparable):
//   warm-up : replaceThing() x 20, then theThing = null    (chain dropped)
//   baseline: 0 LeakyThing
//   target  : after replaceThing() x 200                    (200, chain depth 200)
//   final   : after replaceThing() x 200 more               (400, chain depth 400)
// Usage: node --expose-gc snapshots/leaks/closure-context.js [OUTDIR]
const { outDirFromArgv, takeSnapshot, requireGc } = require('./common/harness.js');

const SCENARIO = 'closure-context';
const WARMUP = 20;
const N = 200;
const STRING_LENGTH = 4096;
const FILLER = new Array(STRING_LENGTH + 1).join('*');   // one shared 4096-char string

class LeakyThing {
  constructor(serial, longStr, someMethod) {
    this.serial = serial;
    this.longStr = longStr;
    this.someMethod = someMethod;
  }
}

globalThis.theThing = null;
globalThis.someMessage = 'some message';
let serial = 0;

// A flat (sequential) string of STRING_LENGTH chars, distinct per thing:
// "LeakyThing#17 ****...". Array.prototype.join builds a flat string, where
// `a + b` would build a cons string (two more nodes per thing).
function makeLongString(n) {
  const prefix = 'LeakyThing#' + n + ' ';
  return [prefix, FILLER.slice(prefix.length)].join('');
}

function replaceThing() {
  const originalThing = globalThis.theThing;
  // eslint-disable-next-line no-unused-vars
  const unused = function unused() {
    if (originalThing) return 'hi';
    return '';
  };
  serial++;
  globalThis.theThing = new LeakyThing(serial, makeLongString(serial), function someMethod() {
    return globalThis.someMessage;
  });
}

// warmUp() and run() are separate functions, so that no stack slot of main()
// still holds an object of the last action when a snapshot is written.
function warmUp() {
  for (let i = 0; i < WARMUP; i++) replaceThing();
  globalThis.theThing = null;
}

function run(n) {
  for (let i = 0; i < n; i++) replaceThing();
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
