'use strict';
// Leak fixture "sockets": TCP connections on 127.0.0.1 that are opened and
// never closed (a handle leak). Loopback only, ephemeral port.
//
// A net.Server listens on 127.0.0.1:0. openConnections(n) connects n clients
// (instances of `LeakyClientSocket`, a trivial subclass of net.Socket, so the
// client side has its own class name); the server's 'connection' handler puts
// each accepted server-side socket (class `Socket`) into the Set
// `globalThis.connectionTracker.open` and never removes it. Nobody sends data,
// nobody calls end()/destroy().
//   server side: global.connectionTracker.open (Set) -> Socket
//   client side: held by no user object at all: the open libuv handle is a GC
//                root, (root) -> Node / TCPSocketWrap -> TCP
//                -> <symbol owner_symbol> -> LeakyClientSocket
// Each connection therefore leaks two net.Socket objects, two TCP handle
// wrappers and two Node / TCPSocketWrap native nodes (plus their stream
// states, listener objects, ...).
//
// Phases (one isolate, ids comparable):
//   warm-up : open 40 connections, destroy both ends, wait for 'close'
//   baseline: 0 connections
//   target  : after openConnections(40)          (40 pairs = 80 sockets)
//   final   : after openConnections(40) more     (80 pairs = 160 sockets)
// Each phase waits until every client got 'connect' and the server got every
// 'connection', then lets the event loop turn twice before the snapshot.
// Usage: node --expose-gc snapshots/leaks/sockets.js [OUTDIR]
const net = require('net');
const { outDirFromArgv, takeSnapshot, requireGc } = require('./common/harness.js');

const SCENARIO = 'sockets';
const WARMUP = 40;   // as many as one action run, so the code is warm
const N = 40;

class LeakyClientSocket extends net.Socket {}

class ConnectionTracker {
  constructor(server) {
    this.server = server;
    this.open = new Set();
    this.accepted = 0;
  }
}

let waiter = null;   // { want, resolve } while openConnections() waits

const server = net.createServer({ pauseOnConnect: false }, (socket) => {
  const tracker = globalThis.connectionTracker;
  tracker.open.add(socket);
  tracker.accepted++;
  checkDone();
});
globalThis.connectionTracker = new ConnectionTracker(server);

let clientsConnected = 0;
const warmupClients = [];

function checkDone() {
  if (waiter && clientsConnected >= waiter.want && globalThis.connectionTracker.accepted >= waiter.want) {
    const { resolve } = waiter;
    waiter = null;
    resolve();
  }
}

function openConnections(n, keep) {
  const port = server.address().port;
  const want = clientsConnected + n;
  return new Promise((resolve) => {
    waiter = { want, resolve };
    for (let i = 0; i < n; i++) {
      const client = new LeakyClientSocket();
      if (keep) keep.push(client);
      client.once('connect', () => {
        clientsConnected++;
        checkDone();
      });
      client.connect(port, '127.0.0.1');
    }
  });
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

async function settle() {
  await turn();
  await turn();
}

async function closeWarmup() {
  const sockets = [...warmupClients, ...globalThis.connectionTracker.open];
  await Promise.all(sockets.map((s) => new Promise((resolve) => {
    s.once('close', resolve);
    s.destroy();
  })));
  warmupClients.length = 0;
  globalThis.connectionTracker.open.clear();
}

async function main() {
  requireGc();
  const outDir = outDirFromArgv();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  await openConnections(WARMUP, warmupClients);
  await closeWarmup();
  await settle();
  takeSnapshot(outDir, SCENARIO, 'baseline');

  await openConnections(N);
  await settle();
  takeSnapshot(outDir, SCENARIO, 'target');

  await openConnections(N);
  await settle();
  takeSnapshot(outDir, SCENARIO, 'final');

  // Exit without closing anything (the sockets would keep the process alive).
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
