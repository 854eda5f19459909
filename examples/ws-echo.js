// A WebSocket echo server with the ws package on syshttp: ws attaches to the server's
// 'upgrade' event, unchanged. Plain HTTP requests get a short text answer.
// Run: node examples/ws-echo.js   (PORT, HOST override where it listens)
'use strict';
const { WebSocketServer } = require('ws');
const { createServer } = require('syshttp/node');

function start(port = Number(process.env.PORT ?? 3000), host = process.env.HOST ?? '127.0.0.1') {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end('WebSocket echo: connect with ws://\n');
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.send(`hello ${req.socket.remoteAddress}`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, wss }));
  });
}

module.exports = { start };
if (require.main === module) {
  start().then(({ server }) => console.log(`ws echo on syshttp: ws://127.0.0.1:${server.address().port}`));
}
