'use strict';
// Fixture "store": a plain HTTP server with one leak and one cache that only churns, the
// pair that misleads a diff that counts new objects per holder: both hold new strings, but
// only one of them grows.
//
// Per request to /login?user=<n>:
//   sessions.js: store.sessions (Map)  gets a session { user, token, headers, createdAt }
//                                      under its token (a concatenated string), never
//                                      deleted: the leak
//   server.js: pageCache (LruCache of 100 entries) caches 3 rendered pages (concatenated
//                                      strings, under concatenated-string keys), evicting
//                                      the 3 least recently used: churn, never growth
//
// Phases (one isolate, ids comparable), each snapshot taken from a fresh event-loop turn (no
// application frame on the stack):
//   warm-up : 50 logins (the cache fills up: 150 renders for 100 entries)
//   baseline: 50 sessions, 100 cached pages
//   target  : after 200 more logins: 250 sessions, still 100 cached pages (600 rendered,
//             600 evicted since the baseline)
// Usage: node --expose-gc server.js [OUTDIR]   (see scripts/gen-app-fixtures.sh)
const { spawn } = require('child_process');
const http = require('http');
const path = require('path');
const v8 = require('v8');
const { LruCache } = require('./lru.js');
const { store } = require('./sessions.js');

const WARMUP = 50;
const N = 200;
const PAGES = ['inbox', 'settings', 'billing'];

const pageCache = new LruCache(100);

function render(user, page, n) {
  return (
    `<html><head><title>${page} of ${user}</title></head><body><h1>${page}</h1>` +
    `<p>request ${n}</p><ul>` +
    '<li>item</li>'.repeat(20) +
    '</ul></body></html>'
  );
}

let requests = 0;
const server = http.createServer((req, res) => {
  const n = ++requests;
  const user = new URL(req.url, 'http://x').searchParams.get('user');
  const token = 'sess:' + user + ':' + n.toString(36) + ':' + (n * 7919).toString(16);
  store.set(token, {
    user,
    token,
    headers: {
      host: req.headers.host,
      'user-agent': req.headers['user-agent'],
      accept: req.headers.accept,
    },
    createdAt: n,
  });
  let body = '';
  for (const page of PAGES) {
    const key = '/users/' + user + '/' + page;
    let html = pageCache.get(key);
    if (html === undefined) {
      html = render(user, page, n);
      pageCache.set(key, html);
    }
    body = html;
  }
  res.setHeader('Set-Cookie', 'sid=' + token);
  res.end(body.length + '\n');
});

// The client runs as a process of its own (client.js, no pipes to it). Waits until the
// server has answered `n` more requests.
function logins(n, from) {
  const want = requests + n;
  const args = [path.join(__dirname, 'client.js'), String(server.address().port), String(n), String(from)];
  spawn(process.execPath, args, { stdio: 'ignore' });
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (requests >= want) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
}

// Two event-loop turns, then GC twice and write OUTDIR/store-<phase>.heapsnapshot from an
// immediate callback: no frame of ours is on the stack.
function snapshot(outDir, phase) {
  const file = path.join(outDir, 'store-' + phase + '.heapsnapshot');
  return new Promise((resolve) => {
    setTimeout(() =>
      setImmediate(() => {
        console.log('writing ' + file);
        globalThis.gc();
        globalThis.gc();
        v8.writeHeapSnapshot(file);
        resolve();
      }),
    200);
  });
}

async function main(outDir) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  await logins(WARMUP, 0);
  await snapshot(outDir, 'baseline');
  await logins(N, 1000);
  await snapshot(outDir, 'target');
  process.exit(0);
}

main(process.argv.slice(2).find((a) => !a.startsWith('--')) || '.');
