'use strict';
// What every bench server answers (bench/bench.js checks it with a probe before measuring):
//   GET  /plaintext  200 text/plain        "Hello, World!"              (TechEmpower plaintext)
//   GET  /json       200 application/json  {"message":"Hello, World!"}  (serialised per request)
//   POST /echo       200 application/octet-stream, the request body back
//   GET  /download   200 application/octet-stream, 1 MiB (one precomputed buffer)
// Any other GET is answered as /plaintext and any other POST as /echo, so the old
// bench/run.js (GET / and POST /) keeps working. Every response carries `server: bench`
// (TechEmpower wants a Server header; the same value everywhere keeps the byte counts
// comparable) and a Date header (added by each framework itself).
const HELLO = 'Hello, World!';
const SERVER = 'bench';
const DOWNLOAD_BYTES = 1024 * 1024;
const DOWNLOAD = Buffer.alloc(DOWNLOAD_BYTES);
for (let i = 0; i < DOWNLOAD_BYTES; i++) DOWNLOAD[i] = 97 + (i % 26);

function message() {
  return { message: HELLO };
}

// Idle keep-alive connections must stay open for the idle-connections workload: node:http's
// default keep-alive timeout is 5 s, syshttp's is 130 s; the node-style servers get 130 s.
const KEEP_ALIVE_MS = 130000;

// For servers started by bench/bench.js (or run.js): exit when the parent goes away
// (stdin closes), and on SIGTERM/SIGINT after `stop` (or at once).
function lifecycle(stop) {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 1500).unref();
    Promise.resolve()
      .then(stop)
      .then(() => process.exit(0), () => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  if (process.env.BENCH_EXIT_ON_STDIN_END === '1') {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.on('error', () => process.exit(0));
    process.stdin.resume();
  }
}

function detailOf(info) {
  info = info || {};
  if (info.fallbackReason) console.error(`syshttp: io_uring not used: ${info.fallbackReason}`);
  return String(info.detail || info.name || 'unknown').replace(/\s+/g, ' ');
}

module.exports = { HELLO, SERVER, DOWNLOAD, DOWNLOAD_BYTES, KEEP_ALIVE_MS, message, lifecycle, detailOf };
