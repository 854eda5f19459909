'use strict';
// The routes of ./payloads.js with the plain node:http API — (req, res) handlers — on
// node:http or on syshttp/node as BENCH_HTTP says ('node' or 'syshttp'). With
// BENCH_HTTP=syshttp this is the `syshttp/node` hello world (needs `npm run build`;
// backend from SYSHTTP_BACKEND). bench/servers/node-http.js is the node:http reference.
// Usage: BENCH_HTTP=syshttp node bench/suite/servers/node-api.js [port]
const { HELLO, SERVER, DOWNLOAD, KEEP_ALIVE_MS, message, lifecycle, detailOf } = require('./payloads');

const onSyshttp = process.env.BENCH_HTTP === 'syshttp';
const { createServer } = onSyshttp ? require('../../../dist/node/index.js') : require('node:http');
const port = Number(process.argv[2] || 0);

const TEXT = { server: SERVER, 'content-type': 'text/plain', 'content-length': Buffer.byteLength(HELLO) };
const DL = { server: SERVER, 'content-type': 'application/octet-stream', 'content-length': DOWNLOAD.length };

const server = createServer((req, res) => {
  if (req.method === 'POST') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      res.writeHead(200, { server: SERVER, 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    });
    return;
  }
  if (req.url === '/json') {
    const body = JSON.stringify(message());
    res.writeHead(200, { server: SERVER, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  } else if (req.url === '/download') {
    res.writeHead(200, DL);
    res.end(DOWNLOAD);
  } else {
    res.writeHead(200, TEXT);
    res.end(HELLO);
  }
});
server.keepAliveTimeout = KEEP_ALIVE_MS;
server.listen({ port, host: '127.0.0.1' }, () => {
  const detail = onSyshttp ? detailOf(server.syshttp && server.syshttp.backendInfo) : 'node:http';
  console.log(`listening ${server.address().port} ${detail}`);
});
lifecycle(
  () =>
    new Promise((resolve) => {
      server.close(resolve);
      if (server.closeAllConnections) server.closeAllConnections();
    }),
);
