'use strict';
// Per-request cost counters: V8 heap bytes allocated per request, and for syshttp the
// N-API crossings per request (JS→native method calls on the NativeServer handle, and
// native→JS batch callbacks). The server runs with suite/profile-preload.js loaded; a
// fixed number of requests (h2load -n) is sent between two SIGUSR2 signals.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const proc = require('./proc');
const load = require('./loadgen');

const PRELOAD = path.join(__dirname, 'profile-preload.js');
const SERVERS = ['node', 'io_uring', 'epoll', 'syshttp-node', 'express', 'express-syshttp'];
const ROUTES = [
  { id: 'plaintext', route: '/plaintext', depth: 1 },
  { id: 'pipelined', route: '/plaintext', depth: 16 },
  { id: 'echo', route: '/echo', depth: 1, post: true },
];

async function waitFor(file, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (fs.existsSync(file)) {
      const text = fs.readFileSync(file, 'utf8');
      if (text) return JSON.parse(text);
    }
    await proc.sleep(20);
  }
  throw new Error('no profile written');
}

async function profileAll(servers, o, pin, startServer, stopServer) {
  const out = { requests: o.profileRequests, connections: 16, servers: {} };
  console.error(`  profile: ${o.profileRequests} requests per route, heap bytes and native calls per request`);
  for (const def of servers) {
    if (!SERVERS.includes(def.id)) continue;
    if (o.quick && def.id.startsWith('express')) continue; // the slowest two; full runs only
    const file = path.join(os.tmpdir(), `bench-profile-${process.pid}.json`);
    const res = (out.servers[def.id] = {});
    let server;
    try {
      server = await startServer(def, pin.server, { nodeArgs: ['--require', PRELOAD], env: { BENCH_PROFILE_OUT: file } });
      for (const r of ROUTES) {
        const spec = {
          url: `http://127.0.0.1:${server.port}${r.route}`, connections: out.connections, depth: r.depth,
          postFile: r.post ? o.postFile : null, accept: 'plaintext',
        };
        fs.rmSync(file, { force: true });
        await load.h2load(pin.load, spec, null, { log: false, requests: Math.min(o.quick ? 2000 : 5000, o.profileRequests) });
        server.child.kill('SIGUSR2');
        await proc.sleep(50);
        const h = await load.h2load(pin.load, spec, null, { log: false, requests: o.profileRequests });
        server.child.kill('SIGUSR2');
        const p = await waitFor(file, 5000);
        const n = h.requests || 0;
        const calls = Object.values(p.nativeCalls).reduce((a, b) => a + b, 0);
        res[r.id] = {
          requests: n,
          problems: h.problems,
          heapBytesPerRequest: n ? p.heapAllocatedBytes / n : null,
          nativeCallsPerRequest: p.instrumented && n ? calls / n : null,
          batchCallbacksPerRequest: p.instrumented && n ? p.batchCallbacks / n : null,
          nativeCallsByName: p.instrumented ? Object.fromEntries(Object.entries(p.nativeCalls).map(([k, v]) => [k, v / n])) : null,
          gcCount: p.gcCount,
        };
        const x = res[r.id];
        console.error(
          `    ${def.name} ${r.id}: ${x.heapBytesPerRequest ? Math.round(x.heapBytesPerRequest) : '?'} heap B/request` +
            (x.nativeCallsPerRequest !== null ? `, ${x.nativeCallsPerRequest.toFixed(3)} native calls/request, ${x.batchCallbacksPerRequest.toFixed(3)} batches/request` : '') +
            (h.problems.length ? ` *** ${h.problems.join('; ')}` : ''),
        );
      }
    } catch (err) {
      res.error = err.message;
      console.error(`    *** ${def.name}: profile failed: ${err.message.split('\n')[0]}`);
    } finally {
      if (server) await stopServer(server.child);
      fs.rmSync(file, { force: true });
    }
  }
  return out;
}

module.exports = { profileAll };
