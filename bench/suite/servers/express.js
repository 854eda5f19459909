'use strict';
// Express 5 with the routes of ./payloads.js, on node:http or on syshttp/node as
// BENCH_HTTP says ('node' or 'syshttp'; syshttp needs `npm run build`, backend from
// SYSHTTP_BACKEND). Usage: BENCH_HTTP=syshttp node bench/suite/servers/express.js [port]
// Prints `listening <port> <node:http | syshttp backend detail>`.
const express = require('express');
const { HELLO, SERVER, DOWNLOAD, KEEP_ALIVE_MS, message, lifecycle, detailOf } = require('./payloads');

const onSyshttp = process.env.BENCH_HTTP === 'syshttp';
const { createServer } = onSyshttp ? require('../../../dist/node/index.js') : require('node:http');
const port = Number(process.argv[2] || 0);

const app = express();
app.set('etag', false);
app.set('x-powered-by', false);
const raw = express.raw({ type: () => true, limit: '2mb' });
const plaintext = (req, res) => {
  res.set('server', SERVER).type('text/plain').send(HELLO);
};
const echo = (req, res) => {
  res.set('server', SERVER).type('application/octet-stream').send(req.body);
};
app.get('/plaintext', plaintext);
app.get('/json', (req, res) => {
  res.set('server', SERVER).json(message());
});
app.get('/download', (req, res) => {
  res.set('server', SERVER).type('application/octet-stream').send(DOWNLOAD);
});
app.post('/echo', raw, echo);
app.get('/{*any}', plaintext);
app.post('/{*any}', raw, echo);

const server = createServer(app);
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
