// Measures the requests per second a service answers: C requests in flight (keep-alive) for
// S seconds, then prints one JSON line {"path","concurrency","seconds","requests","rps"} on
// stdout. Exits 1 if any request fails.
// Usage: node scripts/bench/rps.js SECONDS CONCURRENCY PATH   (HUNT_URL=http://127.0.0.1:PORT)
'use strict';
const http = require('node:http');

const seconds = Number(process.argv[2] || 10);
const concurrency = Number(process.argv[3] || 8);
const path = process.argv[4] || '/health';
const base = process.env.HUNT_URL || 'http://127.0.0.1:3000';
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
let requests = 0;
let failed = null;
const start = process.hrtime.bigint();
const until = start + BigInt(Math.round(seconds * 1e9));

function loop() {
  if (failed || process.hrtime.bigint() >= until) return Promise.resolve();
  return new Promise((resolve) => {
    http
      .get(`${base}${path}`, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) failed = new Error(`HTTP ${res.statusCode}`);
          else requests++;
          resolve();
        });
      })
      .on('error', (e) => {
        failed = e;
        resolve();
      });
  }).then(loop);
}

Promise.all(Array.from({ length: concurrency }, loop)).then(() => {
  agent.destroy();
  const took = Number(process.hrtime.bigint() - start) / 1e9;
  if (failed) {
    console.error(`rps.js: ${failed.message}`);
    process.exit(1);
  }
  const rps = Math.round(requests / took);
  process.stdout.write(JSON.stringify({ path, concurrency, seconds: took, requests, rps }) + '\n');
});
