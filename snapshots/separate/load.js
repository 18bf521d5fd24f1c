'use strict';
// Sends N requests to PATH, one at a time on one keep-alive connection, and exits 0 when all
// got 200 (the load between the captures of the fixtures in this folder).
// Usage: node load.js PORT N PATH
const http = require('node:http');

const [port, n, path] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function one(i) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: `${path}?i=${i}`, agent }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

(async () => {
  for (let i = 0; i < n; i++) await one(i);
  agent.destroy();
})().catch((e) => {
  console.error(`load.js: ${e.message}`);
  process.exit(1);
});
