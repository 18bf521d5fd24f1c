'use strict';
// The other side of fixture "agents", run by server.js as a process of its own so that the
// server's snapshots hold only the server: `node peer.js PORT N` starts the upstream service
// (an HTTP server on an ephemeral port of 127.0.0.1 that keeps idle keep-alive connections
// open for 10 minutes), then sends N requests to the server on PORT, one connection each
// (Connection: close), one at a time, raw HTTP/1.1 over `net`, each naming the upstream's
// port. It stays up (the upstream with it) until it is killed.
const http = require('http');
const net = require('net');

const [port, n] = process.argv.slice(2).map(Number);

const upstream = http.createServer((req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ path: req.url, items: [1, 2, 3] }));
});
upstream.keepAliveTimeout = 600000;

let sent = 0;
function one() {
  if (sent >= n) return;
  const i = sent++;
  const socket = net.connect(port, '127.0.0.1', () => {
    socket.write(
      `GET /orders/${i}?upstream=${upstream.address().port} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        'Connection: close\r\n\r\n',
    );
  });
  socket.resume();
  socket.on('close', one);
}

upstream.listen(0, '127.0.0.1', one);
