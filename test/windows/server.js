// Runs inside Windows node.exe under Wine (scripts/test-windows.js starts it): serves
// test/windows/app.js on HTTP.sys: listen({ port: argv[2] }) → http://+:port/, or the
// prefix in SYSHTTP_TEST_PREFIX ("http://+:PORT/app/"), and writes the details to the
// file named in argv[3] once listening. One server per process: Wine's http.sys routes
// requests to any queue of the process whose URL path matches, whatever the port (seen
// with three servers on three ports), and takes one URL per URL group.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const syshttp = require(path.join(__dirname, '..', '..', 'dist', 'index.js'));
const { makeApp } = require('./app.js');

const base = Number(process.argv[2]);
const readyFile = process.argv[3];
// Written whole or not at all (the runner polls for it): a temporary file, then a rename.
function writeReady(text) {
  fs.writeFileSync(`${readyFile}.tmp`, text);
  fs.renameSync(`${readyFile}.tmp`, readyFile);
}

function log(...args) {
  process.stdout.write(`${new Date().toISOString()} ${args.join(' ')}\n`);
}

let server = null;  // the base-port server

async function start() {
  const control = {
    backend: () => server.backend,
    async route(ctx) {
      if (ctx.request.path === '/control/stop') {
        // Graceful stop of this server (the last test): answered after stop() resolved,
        // so this request is the one in flight that stop() waits for.
        const started = Date.now();
        const stopping = server.stop({ timeout: 5000 });
        await ctx.response.end(JSON.stringify({ stopping: true, at: started }));
        await stopping;
        log('stopped after', Date.now() - started, 'ms');
        return true;
      }
      if (ctx.request.path === '/control/backend-info') {
        await ctx.response.end(JSON.stringify(server.backendInfo));
        return true;
      }
      return false;
    },
  };
  const urlPrefixes = process.env.SYSHTTP_TEST_PREFIX ? [process.env.SYSHTTP_TEST_PREFIX.replace('PORT', String(base))] : undefined;
  server = syshttp.createServer(makeApp(syshttp, control), urlPrefixes ? { windows: { urlPrefixes } } : {});
  server.on('error', (err) => log('server error', err && err.stack));
  await server.listen({ port: base });
  log('listening', server.backend, JSON.stringify(server.backendInfo));
  writeReady(JSON.stringify({ backend: server.backend, backendInfo: server.backendInfo, pid: process.pid }));
}

start().catch((err) => {
  log('failed', err && err.stack);
  writeReady(JSON.stringify({ error: String(err && err.stack) }));
  process.exit(1);
});
