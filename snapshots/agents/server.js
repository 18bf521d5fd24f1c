'use strict';
// Fixture "agents": a plain HTTP server that calls an upstream service for each request with
// a new keep-alive `http.Agent` (the classic mistake: an agent belongs to the whole program,
// not to one request). Each agent keeps its connection open as an idle "free socket" once
// the response is read, and the upstream keeps it open too: every request leaves one open
// TCP socket in one Agent of its own, and nothing else references that Agent.
//
// Per request to /orders/<n>?upstream=<port>:
//   new http.Agent({ keepAlive: true })  -> GET http://127.0.0.1:<port>/data through it;
//   the socket ends up in agent.freeSockets['127.0.0.1:<port>:'], open, idle
//
// Phases (one isolate, ids comparable), each snapshot taken from a fresh event-loop turn (no
// application frame on the stack):
//   warm-up : 5 requests whose upstream calls use no agent (`agent: false`: the connection
//             closes; loads and compiles the code)
//   baseline: no idle socket, no Agent but http.globalAgent
//   target  : after 40 requests: 40 idle keep-alive sockets in 40 Agents
// Usage: node --expose-gc server.js [OUTDIR]   (see scripts/gen-app-fixtures.sh)
const { spawn } = require('child_process');
const http = require('http');
const path = require('path');
const v8 = require('v8');

const WARMUP = 5;
const N = 40;

let warm = true;
let requests = 0;

function fetchUpstream(port, url, done) {
  // The bug: a new keep-alive Agent for every call.
  const agent = warm ? false : new http.Agent({ keepAlive: true });
  http.get({ host: '127.0.0.1', port, path: '/data' + url, agent }, (up) => {
    let body = '';
    up.setEncoding('utf8');
    up.on('data', (chunk) => (body += chunk));
    up.on('end', () => done(body));
  });
}

const server = http.createServer((req, res) => {
  const port = Number(new URL(req.url, 'http://x').searchParams.get('upstream'));
  fetchUpstream(port, req.url, (body) => {
    requests++;
    res.end(body.length + '\n');
  });
});

// The peer (upstream and client) runs as a process of its own (peer.js, no pipes to it).
// Waits until the server has answered `n` more requests.
let peer = null;
function requestsOf(n) {
  const want = requests + n;
  if (peer) peer.kill();
  const args = [path.join(__dirname, 'peer.js'), String(server.address().port), String(n)];
  peer = spawn(process.execPath, args, { stdio: 'ignore' });
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (requests >= want) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
}

// A moment for connections to settle, then GC twice and write
// OUTDIR/agents-<phase>.heapsnapshot from an immediate callback: no frame of ours is on the
// stack.
function snapshot(outDir, phase) {
  const file = path.join(outDir, 'agents-' + phase + '.heapsnapshot');
  return new Promise((resolve) => {
    setTimeout(() =>
      setImmediate(() => {
        console.log('writing ' + file);
        globalThis.gc();
        globalThis.gc();
        v8.writeHeapSnapshot(file);
        resolve();
      }),
    300);
  });
}

async function main(outDir) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  await requestsOf(WARMUP);
  await snapshot(outDir, 'baseline');
  warm = false;
  await requestsOf(N);
  await snapshot(outDir, 'target');
  peer.kill();
  process.exit(0);
}

main(process.argv.slice(2).find((a) => !a.startsWith('--')) || '.');
