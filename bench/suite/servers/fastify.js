'use strict';
// fastify 5 (on node:http) with the routes of ./payloads.js.
// Usage: node bench/suite/servers/fastify.js [port]; prints `listening <port> fastify`.
const fastify = require('fastify');
const { HELLO, SERVER, DOWNLOAD, KEEP_ALIVE_MS, message, lifecycle } = require('./payloads');

const port = Number(process.argv[2] || 0);
const app = fastify({ logger: false, keepAliveTimeout: KEEP_ALIVE_MS, bodyLimit: 2 * 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => done(null, body));

const plaintext = (req, reply) => {
  reply.header('server', SERVER).type('text/plain').send(HELLO);
};
const json = (req, reply) => {
  // fastify serialises with JSON.stringify here (no response schema), like the others.
  reply.header('server', SERVER).type('application/json').send(JSON.stringify(message()));
};
const download = (req, reply) => {
  reply.header('server', SERVER).type('application/octet-stream').send(DOWNLOAD);
};
const echo = (req, reply) => {
  reply.header('server', SERVER).type('application/octet-stream').send(req.body);
};
app.get('/plaintext', plaintext);
app.get('/json', json);
app.get('/download', download);
app.post('/echo', echo);
app.get('/*', plaintext);
app.post('/*', echo);

app.listen({ port, host: '127.0.0.1' }).then(
  () => console.log(`listening ${app.server.address().port} fastify`),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
lifecycle(() => app.close());
