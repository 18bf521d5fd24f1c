#!/usr/bin/env node
'use strict';
// `npx heapsnap ...`: runs the native binary with the same arguments, stdio and exit status.

const { spawn } = require('node:child_process');
const { binaryPath } = require('../lib/binary.js');

let bin;
try {
  bin = binaryPath();
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}

// A signal sent to this wrapper (kill, a supervisor) goes on to heapsnap, which removes its
// temporary files and closes an inspector it opened before it ends. The handlers are in place
// before the binary starts: a signal that arrives from then on is handled on the next turn of
// the event loop, when `child` is set.
let child = null;
const signals = process.platform === 'win32' ? ['SIGINT', 'SIGTERM'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
const handlers = signals.map((sig) => {
  const h = () => child.kill(sig);
  process.on(sig, h);
  return [sig, h];
});

child = spawn(bin, process.argv.slice(2), { stdio: 'inherit', windowsHide: true });
child.on('error', (err) => {
  process.stderr.write(`heapsnap: cannot run ${bin}: ${err.message}\n`);
  process.exit(2);
});
child.on('exit', (code, signal) => {
  for (const [sig, h] of handlers) process.off(sig, h);
  if (signal) {
    // End the same way, so a shell sees 128 + signal.
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 2);
});
