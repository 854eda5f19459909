'use strict';
// node:http peer for bench/bench.js (and bench/run.js): the routes of
// bench/suite/servers/payloads.js — GET /plaintext (and any other GET) → hello world,
// GET /json, GET /download (1 MiB), POST /echo (and any other POST) → the body back.
// Precomputed content-length keeps node:http on its fastest path.
// Usage: node bench/servers/node-http.js [port]   (default 0 = any free port)
// Prints `listening <port> node:http` on stdout once ready.
process.env.BENCH_HTTP = 'node';
require('../suite/servers/node-api.js');
