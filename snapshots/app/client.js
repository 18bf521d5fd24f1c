'use strict';
// The client side of fixture "app", run by server.js as a process of its own so that the
// server's snapshots hold only the server: `node client.js PORT N FROM [close]` makes N
// concurrent requests to /users/FROM.., raw HTTP/1.1 over `net`, and keeps keep-alive
// connections open until it is killed.
const net = require('net');

const [port, n, from, mode] = process.argv.slice(2);
const keepAlive = mode !== 'close';
const open = [];

for (let i = 0; i < Number(n); i++) {
  const socket = net.connect(Number(port), '127.0.0.1', () => {
    socket.write(
      `GET /users/${Number(from) + i} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: fixture-client\r\n` +
        `Connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`,
    );
  });
  socket.resume();
  open.push(socket);
}
if (!keepAlive) setTimeout(() => process.exit(0), 2000);
