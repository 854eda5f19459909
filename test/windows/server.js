// Runs inside Windows node.exe under Wine (scripts/test-windows.js starts it): serves
// test/windows/app.js on HTTP.sys, on three ports:
//   base      listen({ port }) → http://+:base/
//   base + 1  urlPrefixes [http://+:base+1/app/] (pathBase; Wine takes one URL per
//             URL group, so several prefixes are for real Windows only)
//   base + 2  a server the tests stop gracefully through /control/stop on base
// and writes "ready" with the details to the file named in argv[3] once all listen.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const syshttp = require(path.join(__dirname, '..', '..', 'dist', 'index.js'));
const { makeApp } = require('./app.js');

const base = Number(process.argv[2]);
const readyFile = process.argv[3];

function log(...args) {
  process.stdout.write(`${new Date().toISOString()} ${args.join(' ')}\n`);
}

let server = null;  // the base-port server

async function start() {
  let stopping = null;
  const stoppable = syshttp.createServer(makeApp(syshttp, { backend: () => stoppable.backend }));
  const control = {
    backend: () => server.backend,
    async route(ctx) {
      if (ctx.request.path === '/control/stop') {
        // Starts the graceful stop of the base+2 server and answers when it finished.
        const started = Date.now();
        stopping = stoppable.stop({ timeout: 5000 });
        await stopping;
        await ctx.response.end(JSON.stringify({ stoppedAfter: Date.now() - started }));
        return true;
      }
      if (ctx.request.path === '/control/backend-info') {
        await ctx.response.end(JSON.stringify(server.backendInfo));
        return true;
      }
      return false;
    },
  };
  server = syshttp.createServer(makeApp(syshttp, control));
  server.on('error', (err) => log('server error', err && err.stack));
  await server.listen({ port: base });
  const prefixed = syshttp.createServer(makeApp(syshttp, { backend: () => prefixed.backend }), {
    windows: { urlPrefixes: [`http://+:${base + 1}/app/`] },
  });
  await prefixed.listen();
  await stoppable.listen({ port: base + 2 });
  log('listening', server.backend, JSON.stringify(server.backendInfo));
  fs.writeFileSync(readyFile, JSON.stringify({ backend: server.backend, backendInfo: server.backendInfo, pid: process.pid }));
}

start().catch((err) => {
  log('failed', err && err.stack);
  fs.writeFileSync(readyFile, JSON.stringify({ error: String(err && err.stack) }));
  process.exit(1);
});
