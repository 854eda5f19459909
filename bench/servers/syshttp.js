'use strict';
// syshttp hello-world server for bench/run.js (same response as node-http.js).
// Usage: node bench/servers/syshttp.js [port]   (default 0 = any free port)
// Needs a build first: `npm run build` (dist/ and the native addon).
// Prints `listening <port>` on stdout once ready.
const { createServer } = require('../../dist/index.js');

const BODY = 'Hello, World!';
const port = Number(process.argv[2] || 0);

const server = createServer((ctx) => {
  ctx.response.headers.set('content-type', 'text/plain');
  return ctx.response.end(BODY);
});

server.listen({ port, host: '127.0.0.1' }).then(
  ({ port: actual }) => console.log(`listening ${actual}`),
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
