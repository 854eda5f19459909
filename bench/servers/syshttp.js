'use strict';
// syshttp server for bench/bench.js and bench/run.js, with the routes of
// bench/suite/servers/payloads.js: GET /plaintext (and any other GET) → hello world,
// GET /json, GET /download (1 MiB), POST /echo (and any other POST) → the body back.
// Usage: node bench/servers/syshttp.js [port]   (default 0 = any free port)
// Needs a build first: `npm run build` (dist/ and the native addon).
// The backend comes from the environment: SYSHTTP_BACKEND=epoll|io_uring|auto, and
// for the ablation SYSHTTP_IOURING_NO=accept,bufring (see bench/README.md).
// Prints `listening <port> <backendInfo.detail>` on stdout once ready, e.g.
// `listening 41234 io_uring defer-taskrun single-issuer registered-fd multishot-accept ...`.
const { createServer } = require('../../dist/index.js');
const { HELLO, SERVER, DOWNLOAD, message, lifecycle, detailOf } = require('../suite/servers/payloads');

const port = Number(process.argv[2] || 0);

async function echo(ctx) {
  const body = await ctx.request.buffer();
  ctx.response.headers.set('server', SERVER);
  ctx.response.headers.set('content-type', 'application/octet-stream');
  await ctx.response.end(body);
}

const server = createServer((ctx) => {
  const { request, response } = ctx;
  if (request.method === 'POST') return echo(ctx);
  response.headers.set('server', SERVER);
  const path = request.path;
  if (path === '/json') {
    response.headers.set('content-type', 'application/json');
    return response.end(JSON.stringify(message()));
  }
  if (path === '/download') {
    response.headers.set('content-type', 'application/octet-stream');
    return response.end(DOWNLOAD);
  }
  response.headers.set('content-type', 'text/plain');
  return response.end(HELLO);
});

server.listen({ port, host: '127.0.0.1' }).then(
  ({ port: actual }) => console.log(`listening ${actual} ${detailOf(server.backendInfo)}`),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
lifecycle(() => server.stop({ timeout: 1000 }));
