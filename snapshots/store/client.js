'use strict';
// The client side of fixture "store", run by server.js as a process of its own so that the
// server's snapshots hold only the server: `node client.js PORT N FROM` sends N requests to
// /login?user=FROM.., one connection each (Connection: close), at most 10 at a time, raw
// HTTP/1.1 over `net`, and exits when all are answered.
const net = require('net');

const [port, n, from] = process.argv.slice(2).map(Number);
let next = 0;
let done = 0;

function one() {
  if (next >= n) return;
  const user = from + next++;
  const socket = net.connect(port, '127.0.0.1', () => {
    socket.write(
      `GET /login?user=${user} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: fixture-client\r\n` +
        'Accept: text/html\r\nConnection: close\r\n\r\n',
    );
  });
  socket.resume();
  socket.on('close', () => {
    if (++done === n) process.exit(0);
    one();
  });
}

for (let i = 0; i < 10; i++) one();
