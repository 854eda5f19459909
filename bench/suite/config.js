'use strict';
// Servers and workloads of bench/bench.js.
const path = require('node:path');
const { HELLO, DOWNLOAD_BYTES } = require('./servers/payloads');

const BENCH = path.join(__dirname, '..');
const ROOT = path.join(BENCH, '..');

// kind: 'node' = a Node script (argv after node); 'limit' = the C server built at run time.
// needs: files or packages that must exist, else the server is skipped (loudly).
// backend: syshttp backend name the ready line must start with (else not measured).
const SERVERS = [
  { id: 'node', name: 'node:http', script: 'bench/servers/node-http.js', env: {} },
  { id: 'fastify', name: 'fastify', script: 'bench/suite/servers/fastify.js', env: {}, needs: ['fastify'] },
  { id: 'express', name: 'Express', script: 'bench/suite/servers/express.js', env: { BENCH_HTTP: 'node' }, needs: ['express'] },
  {
    id: 'io_uring', name: 'syshttp io_uring', script: 'bench/servers/syshttp.js', syshttp: true,
    env: { SYSHTTP_BACKEND: 'io_uring', SYSHTTP_IOURING_NO: '' }, backend: 'io_uring', needs: ['dist/index.js'],
  },
  {
    id: 'epoll', name: 'syshttp epoll', script: 'bench/servers/syshttp.js', syshttp: true,
    env: { SYSHTTP_BACKEND: 'epoll', SYSHTTP_IOURING_NO: '' }, backend: 'epoll', needs: ['dist/index.js'],
  },
  {
    id: 'syshttp-node', name: 'syshttp/node', script: 'bench/suite/servers/node-api.js', syshttp: true,
    env: { BENCH_HTTP: 'syshttp', SYSHTTP_BACKEND: 'auto', SYSHTTP_IOURING_NO: '' }, needs: ['dist/node/index.js'],
  },
  {
    id: 'express-syshttp', name: 'Express on syshttp/node', script: 'bench/suite/servers/express.js', syshttp: true,
    env: { BENCH_HTTP: 'syshttp', SYSHTTP_BACKEND: 'auto', SYSHTTP_IOURING_NO: '' }, needs: ['express', 'dist/node/index.js'],
  },
  {
    id: 'limit', name: 'limit (C, epoll)', kind: 'limit', env: {},
    workloads: ['plaintext', 'pipelined', 'json', 'idle', 'latency'],
  },
];

const ECHO_BYTES = 4096;

// tool: which load generator measures it. check(probe): why the probe response is wrong.
function workloads(o) {
  return [
    {
      id: 'plaintext', label: 'plaintext', tool: 'wrk', route: '/plaintext', accept: 'plaintext', connections: 64,
      what: `GET /plaintext, one request in flight per connection, wrk -t1 -c64, ${o.duration} s`,
      check: (p) => (p.body.toString() === HELLO ? null : `body ${JSON.stringify(p.body.toString().slice(0, 40))}`),
    },
    {
      id: 'pipelined', label: 'plaintext ×16 pipelined', tool: 'wrk', latencyTool: 'h2load', route: '/plaintext', accept: 'plaintext', connections: 64, depth: 16,
      what: `GET /plaintext, 16 requests per write and in flight per connection (HTTP/1.1 pipelining): req/s and req/CPU-s from wrk -t1 -c64 (${o.duration} s), ` +
        `latency percentiles from a second run in the same process, h2load --h1 -c64 -m16 with its per-request log (${o.pipelinedLatencySeconds} s)`,
      check: (p) => (p.body.toString() === HELLO ? null : `body ${JSON.stringify(p.body.toString().slice(0, 40))}`),
    },
    {
      id: 'json', label: 'JSON', tool: 'wrk', route: '/json', accept: 'json', connections: 64,
      what: `GET /json (JSON.stringify per request), wrk -t1 -c64, ${o.duration} s`,
      check: (p) => {
        try {
          return JSON.parse(p.body.toString()).message === HELLO ? null : 'wrong JSON';
        } catch {
          return `not JSON: ${JSON.stringify(p.body.toString().slice(0, 40))}`;
        }
      },
    },
    {
      id: 'echo', label: 'POST 4 KiB echo', tool: 'wrk', route: '/echo', method: 'POST', postBytes: ECHO_BYTES, connections: 64,
      what: `POST /echo with a ${ECHO_BYTES}-byte body, answered with the same body, wrk -t1 -c64, ${o.duration} s`,
      check: (p, sent) => (p.body.equals(sent) ? null : `echo differs (${p.body.length} bytes back)`),
    },
    {
      id: 'download', label: '1 MiB download', tool: 'wrk', route: '/download', accept: 'plaintext', connections: 16,
      what: `GET /download, a 1 MiB body, wrk -t1 -c16, ${o.duration} s`,
      check: (p) => (p.body.length === DOWNLOAD_BYTES ? null : `body of ${p.body.length} bytes`),
    },
    {
      id: 'idle', label: `${o.idleConnections.toLocaleString('en-US')} idle connections`, tool: 'idle', route: '/plaintext', connections: o.idleConnections,
      what: `${o.idleConnections} keep-alive connections, one GET /plaintext each, then idle: (RSS after − RSS before) ÷ connections`,
      check: (p) => (p.body.toString() === HELLO ? null : 'wrong body'),
    },
    {
      id: 'latency', label: `latency at ${o.latencyRate.toLocaleString('en-US')} req/s`, tool: 'h2load', route: '/plaintext', accept: 'plaintext',
      connections: 50, rpsPerConnection: o.latencyRate / 50, fixedRate: o.latencyRate,
      what: `GET /plaintext at a fixed ${o.latencyRate} req/s (h2load --h1 -c50 --rps ${o.latencyRate / 50}), ${o.latencySeconds} s; percentiles from h2load's per-request log`,
      check: (p) => (p.body.toString() === HELLO ? null : 'wrong body'),
    },
  ];
}

module.exports = { SERVERS, workloads, ROOT, BENCH, ECHO_BYTES };
