'use strict';
// Fixture "control" (snapshots/separate/README.md): an HTTP service that does NOT leak. Each
// request to /item puts an `Item` in the module-level `recent` Map, which keeps the last 50
// only (a bounded cache that turns over). /stats answers with the cache's statistics,
// compressed with node:zlib, which its first request loads (Node's own machinery; the fixture
// calls it once, between the first two snapshots). Other paths allocate garbage only.
// Usage: node control.js [PORT]   (0 or none: a free port; prints "listening PORT").
const http = require('node:http');

class Item {
  constructor(n) {
    this.n = n;
    this.label = `item-${n}`;
    this.parts = [n, n + 1];
  }
}

const recent = new Map();
const LIMIT = 50;
let served = 0;

function handleItem(req, res) {
  const n = ++served;
  recent.set(n, new Item(n));
  if (recent.size > LIMIT) recent.delete(recent.keys().next().value);
  res.end(`ok ${n}\n`);
}

function handleStats(req, res) {
  const zlib = require('node:zlib');
  const body = zlib.deflateSync(Buffer.from(JSON.stringify({ served, cached: recent.size })));
  res.setHeader('content-encoding', 'deflate');
  res.end(body);
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/item')) return handleItem(req, res);
  if (req.url.startsWith('/stats')) return handleStats(req, res);
  const tmp = Array.from({ length: 50 }, (_, i) => ({ i }));
  res.end(`healthy ${tmp.length} ${recent.size}\n`);
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
