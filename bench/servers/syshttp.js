'use strict';
// syshttp server for bench/run.js (same responses as node-http.js):
// GET → hello world; POST → echoes the request body.
// Usage: node bench/servers/syshttp.js [port]   (default 0 = any free port)
// Needs a build first: `npm run build` (dist/ and the native addon).
// The backend comes from the environment: SYSHTTP_BACKEND=epoll|io_uring|auto, and
// for the ablation SYSHTTP_IOURING_NO=accept,bufring (see bench/README.md).
// Prints `listening <port> <backendInfo.detail>` on stdout once ready, e.g.
// `listening 41234 io_uring defer-taskrun single-issuer registered-fd multishot-accept ...`.
const { createServer } = require('../../dist/index.js');

const BODY = 'Hello, World!';
const port = Number(process.argv[2] || 0);

// POST: echo the body (bench/post.lua). Kept apart so the GET path stays a plain
// function returning end()'s promise, as in the hello-world bench before.
async function echo(ctx) {
  const body = await ctx.request.buffer();
  ctx.response.headers.set('content-type', 'application/octet-stream');
  await ctx.response.end(body);
}

const server = createServer((ctx) => {
  if (ctx.request.method === 'POST') return echo(ctx);
  ctx.response.headers.set('content-type', 'text/plain');
  return ctx.response.end(BODY);
});

server.listen({ port, host: '127.0.0.1' }).then(
  ({ port: actual }) => {
    const info = server.backendInfo || {};
    if (info.fallbackReason) console.error(`syshttp: io_uring not used: ${info.fallbackReason}`);
    console.log(`listening ${actual} ${(info.detail || info.name || 'unknown').replace(/\s+/g, ' ')}`);
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 2000).unref();
  server.stop({ timeout: 1000 }).then(() => process.exit(0), () => process.exit(0));
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
