// Fastify 5 on syshttp, through its serverFactory option.
// Run: node examples/fastify.js   (PORT, HOST override where it listens)
'use strict';
const Fastify = require('fastify');
const { createServer } = require('syshttp/node');

function createApp() {
  const app = Fastify({
    serverFactory: (handler) => createServer((req, res) => handler(req, res)),
  });
  app.get('/', async () => 'Hello, World!');
  app.get('/json/:id', async (request) => ({ id: request.params.id, query: request.query, ip: request.ip }));
  app.post('/echo', async (request, reply) => {
    reply.code(201);
    return { got: request.body };
  });
  app.get('/headers', (request, reply) => {
    reply.header('x-one', '1').header('set-cookie', ['a=1', 'b=2']).send({ ok: true });
  });
  app.get('/error', async () => {
    throw new Error('boom');
  });
  app.get('/stream', (request, reply) => {
    const { Readable } = require('node:stream');
    reply.type('text/plain').send(Readable.from(['x', 'y', 'z']));
  });
  return app;
}

async function start(port = Number(process.env.PORT ?? 3000), host = process.env.HOST ?? '127.0.0.1') {
  const app = createApp();
  await app.listen({ port, host });
  return app;
}

module.exports = { createApp, start };
if (require.main === module) {
  start().then((app) => console.log(`fastify on syshttp: http://127.0.0.1:${app.server.address().port}`));
}
