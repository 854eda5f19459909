// Koa on syshttp: app.callback() is a node:http request listener.
// Run: node examples/koa.js   (PORT, HOST override where it listens)
'use strict';
const Koa = require('koa');
const { createServer } = require('syshttp/node');

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function createApp() {
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx, next) => {
    const started = Date.now();
    await next();
    ctx.set('x-response-time', `${Date.now() - started}ms`);
  });
  app.use(async (ctx) => {
    if (ctx.path === '/') {
      ctx.body = 'Hello, World!';
    } else if (ctx.path === '/json') {
      ctx.body = { path: ctx.path, query: ctx.query, method: ctx.method, ip: ctx.ip };
    } else if (ctx.path === '/echo' && ctx.method === 'POST') {
      ctx.type = ctx.get('content-type') || 'application/octet-stream';
      ctx.body = await readBody(ctx.req);
    } else if (ctx.path === '/stream') {
      const { Readable } = require('node:stream');
      ctx.type = 'text/plain';
      ctx.body = Readable.from(['a', 'b', 'c']);
    } else if (ctx.path === '/error') {
      ctx.throw(418, 'teapot');
    } else if (ctx.path === '/crash') {
      throw new Error('crash');
    }
  });
  return app;
}

function start(port = Number(process.env.PORT ?? 3000), host = process.env.HOST ?? '127.0.0.1') {
  const server = createServer(createApp().callback());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

module.exports = { createApp, start };
if (require.main === module) {
  start().then((server) => console.log(`koa on syshttp: http://127.0.0.1:${server.address().port}`));
}
