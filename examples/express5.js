// Express 5 on syshttp: the app is unchanged; only the server comes from syshttp/node.
// Run: node examples/express5.js   (PORT, HOST override where it listens)
'use strict';
const express = require('express');
const { createServer } = require('syshttp/node');

function createApp() {
  const app = express();
  app.use(express.json());
  app.get('/', (req, res) => res.send('Hello, World!'));
  app.get('/users/:id', (req, res) => {
    res.set('x-powered-by-test', 'syshttp');
    res.json({ id: req.params.id, query: req.query, ip: req.ip, protocol: req.protocol, host: req.hostname });
  });
  app.post('/echo', (req, res) => res.status(201).json({ got: req.body }));
  app.get('/cookies', (req, res) => {
    res.cookie('a', '1');
    res.cookie('b', '2', { httpOnly: true });
    res.send('cookies');
  });
  app.get('/redirect', (req, res) => res.redirect('/'));
  app.get('/file', (req, res) => res.sendFile(__filename));
  app.get('/stream', (req, res) => {
    res.type('text/plain');
    let i = 0;
    const tick = () => {
      if (i === 5) return res.end('done');
      res.write(`chunk ${i++}\n`);
      setImmediate(tick);
    };
    tick();
  });
  app.get('/error', () => {
    throw new Error('boom');
  });
  // Express 5 catches rejected promises of async handlers.
  app.get('/async-error', async () => {
    await new Promise((resolve) => setImmediate(resolve));
    throw new Error('async boom');
  });
  return app;
}

function start(port = Number(process.env.PORT ?? 3000), host = process.env.HOST ?? '127.0.0.1') {
  const server = createServer(createApp());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

module.exports = { createApp, start };
if (require.main === module) {
  start().then((server) => console.log(`express 5 on syshttp: http://127.0.0.1:${server.address().port}`));
}
