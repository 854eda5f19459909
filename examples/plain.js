// The example server of `npm start`: 200 text for GET/HEAD on any path, and POST/PUT
// bodies echoed back. PORT and HOST override where it listens.
'use strict';
const { createServer } = require('..');

const server = createServer(async (ctx) => {
  const { method, path } = ctx.request;
  if (method === 'POST' || method === 'PUT') {
    const type = ctx.request.headers.get('content-type');
    ctx.response.headers.set('content-type', type ?? 'application/octet-stream');
    // Streams the body back as it arrives, with backpressure both ways.
    for await (const chunk of ctx.request.body) await ctx.response.write(chunk);
    return ctx.response.end();
  }
  if (method === 'GET' || method === 'HEAD') {
    ctx.response.headers.set('content-type', 'text/plain; charset=utf-8');
    return ctx.response.end(`hello from syshttp (${server.backend}): ${path}\n`);
  }
  ctx.response.status = 405;
  ctx.response.headers.set('allow', 'GET, HEAD, POST, PUT');
  return ctx.response.end();
});

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
server.listen({ port, host }).then(
  (address) => {
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    console.log(`listening on http://${shown}:${address.port}`);
  },
  (err) => {
    console.error(err.message);
    process.exit(1);
  },
);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.stop({ timeout: 5000 }).then(() => process.exit(0));
  });
}
