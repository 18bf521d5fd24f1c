'use strict';
// Fixture "reports" (snapshots/separate/README.md): an HTTP service that leaks, per request
// to /report, one `ReportRecord` pushed on the module-level `history` array and one rendered
// entry under a new key of the module-level `renderCache` object (a dictionary). The first
// /report request loads node:zlib and node:querystring (Node's own machinery, created between
// the first two snapshots). Other paths allocate garbage only.
// Usage: node reports.js [PORT]   (0 or none: a free port; prints "listening PORT").
const http = require('node:http');

class ReportRecord {
  constructor(n, digest, size) {
    this.n = n;
    this.digest = digest;
    this.size = size;
    this.tags = { kind: 'daily', n };
  }
}

const history = [];
const renderCache = {};
let served = 0;

function digestOf(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

function handleReport(req, res) {
  const n = ++served;
  const zlib = require('node:zlib');
  const querystring = require('node:querystring');
  const query = querystring.parse(req.url.split('?')[1] || '');
  const body = `report ${n} ${query.i} `.repeat(20);
  const packed = zlib.gzipSync(body);
  const digest = digestOf(body);
  history.push(new ReportRecord(n, digest, packed.length));
  renderCache[`r${n}`] = { html: `<p>${digest}</p>`, at: n };
  res.end(`ok ${n}\n`);
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/report')) return handleReport(req, res);
  const tmp = Array.from({ length: 50 }, (_, i) => ({ i }));
  res.end(`healthy ${tmp.length} ${history.length}\n`);
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
