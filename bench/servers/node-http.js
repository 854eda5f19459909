'use strict';
// node:http peer for bench/run.js: GET → hello world; POST → echoes the request body.
// Usage: node bench/servers/node-http.js [port]   (default 0 = any free port)
// Prints `listening <port> node:http` on stdout once ready.
const http = require('node:http');

const BODY = 'Hello, World!';
// Precomputed content-length keeps node:http on its fastest path (writeHead with
// an object fixes the headers at once; without a length it would go chunked).
const HEADERS = { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(BODY) };
const port = Number(process.argv[2] || 0);

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(200, HEADERS);
    res.end(BODY);
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
});

server.listen({ port, host: '127.0.0.1' }, () => {
  console.log(`listening ${server.address().port} node:http`);
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// When started by bench/run.js, exit if the parent goes away (stdin closes),
// so a killed harness never leaves a server behind.
if (process.env.BENCH_EXIT_ON_STDIN_END === '1') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
