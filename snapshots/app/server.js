'use strict';
// Fixture "app": a plain HTTP server whose leaks all live in module-level variables (not
// globals), the way applications are written. The shortest retaining path of each leaked
// object runs through Node's own machinery (timer lists, handles, the module cache); a tool
// should name the module variable instead: `server.js: userCache`, `bus.js: configBus`,
// `metrics.js: samples`, `server.js: openSockets`.
//
// Per request to /users/<n>:
//   server.js: userCache (Map)      gets a Session under 'user:<n>', never evicted
//   bus.js: configBus (EventEmitter) gets a 'config-changed' listener (closure
//                                    onConfigChanged) holding a Subscriber, never removed
//   metrics.js: samples (Array)      gets a Sample; its interval never flushes it
// Per connection (keep-alive, never closed):
//   server.js: openSockets (Set)     holds the accepted server-side Socket until it closes
//   server.js: agent (http.Agent)    keeps the client-side Socket among its free sockets
//
// Phases (one isolate, ids comparable), each snapshot taken from a fresh event-loop turn (no
// application frame on the stack):
//   warm-up : 10 requests on connections that close (loads and compiles the code)
//   baseline: no leaked object yet, except the warm-up's Sessions, Subscribers and Samples
//   target  : after 100 concurrent requests on 100 keep-alive connections
// Usage: node --expose-gc snapshots/app/server.js [OUTDIR]   (see scripts/gen-app-fixtures.sh)
const { spawn } = require('child_process');
const http = require('http');
const path = require('path');
const v8 = require('v8');
const bus = require('./bus.js');
const metrics = require('./metrics.js');

const N = 50; // keep-alive connections (and requests) between baseline and target

const userCache = new Map();
const openSockets = new Set();

class Session {
  constructor(id, userAgent) {
    this.id = id;
    this.userAgent = userAgent;
    this.visits = 1;
  }
}

class Subscriber {
  constructor(id) {
    this.id = id;
    this.version = 0;
  }
}

let requests = 0;
const server = http.createServer((req, res) => {
  const id = ++requests;
  userCache.set('user:' + id, new Session(id, req.headers['user-agent']));
  const sub = new Subscriber(id);
  bus.subscribe(function onConfigChanged(config) {
    sub.version = config.version;
  });
  metrics.record(req.url, id % 7);
  res.end('ok');
});
server.keepAliveTimeout = 600000;
server.on('connection', (socket) => {
  openSockets.add(socket);
  socket.on('close', () => openSockets.delete(socket));
});

// The client runs as a process of its own (client.js, no pipes to it), so that these
// snapshots hold only the server. Waits until the server has answered `n` more requests.
const children = [];

function requestsOf(n, from, keepAlive) {
  const want = requests + n;
  const args = [path.join(__dirname, 'client.js'), String(server.address().port), String(n), String(from)];
  if (!keepAlive) args.push('close');
  children.push(spawn(process.execPath, args, { stdio: 'ignore' }));
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (requests >= want) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
}

// Two event-loop turns, then GC twice and write OUTDIR/app-<phase>.heapsnapshot from an
// immediate callback: no frame of ours is on the stack.
function snapshot(outDir, phase) {
  const file = path.join(outDir, 'app-' + phase + '.heapsnapshot');
  return new Promise((resolve) => {
    setImmediate(() =>
      setImmediate(() => {
        console.log('writing ' + file);
        globalThis.gc();
        globalThis.gc();
        v8.writeHeapSnapshot(file);
        resolve();
      }),
    );
  });
}

async function main(outDir) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  await requestsOf(10, 0, false);
  while (openSockets.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  await snapshot(outDir, 'baseline');
  await requestsOf(N, 1000, true);
  bus.publish({ version: 2 });
  await snapshot(outDir, 'target');
  for (const c of children) c.kill();
  process.exit(0);
}

main(process.argv.slice(2).find((a) => !a.startsWith('--')) || '.');
