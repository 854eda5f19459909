'use strict';
// Idle keep-alive connections for bench/bench.js: opens <count> connections to
// 127.0.0.1:<port>, sends one `GET /plaintext` on each and reads its response (so the
// server has set the connection up completely), then leaves them all idle and open.
//   node bench/suite/idle-client.js <port> <count> [<parallel opens>]
// stdout: `ready <open>` once every connection has its response (or `failed <why>`);
// then, for each line `check` on stdin, `open <n>` (connections still open); stdin
// closing (or `close`) closes everything and exits.
const net = require('node:net');

const [port, count, parallel = 256] = process.argv.slice(2).map(Number);
const REQUEST = Buffer.from(
  `GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    'Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n' +
    'Connection: keep-alive\r\n\r\n',
);
const sockets = new Set();
let started = 0;
let answered = 0;
let failed = null;
let closedEarly = 0;

function openOne() {
  if (failed || started >= count) return;
  started++;
  const sock = net.connect({ port, host: '127.0.0.1' });
  let buf = '';
  let done = false;
  sock.setEncoding('latin1');
  sock.on('connect', () => sock.write(REQUEST));
  sock.on('data', (chunk) => {
    if (done) return;
    buf += chunk;
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, end + 2));
    if (!m || buf.length < end + 4 + Number(m[1])) return;
    done = true;
    if (!buf.startsWith('HTTP/1.1 200')) fail(`status line ${JSON.stringify(buf.slice(0, buf.indexOf('\r\n')))}`);
    answered++;
    if (answered === count) console.log(`ready ${sockets.size}`);
    else openOne();
  });
  sock.on('error', (err) => {
    if (!done) fail(`${err.code || err.message} after ${answered} connections`);
  });
  sock.on('close', () => {
    sockets.delete(sock);
    if (done) closedEarly++;
    else fail(`connection closed before its response after ${answered} connections`);
  });
  sockets.add(sock);
}

function fail(why) {
  if (failed) return;
  failed = why;
  console.log(`failed ${why}`);
}

for (let i = 0; i < Math.min(parallel, count); i++) openOne();

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  input += chunk;
  let nl;
  while ((nl = input.indexOf('\n')) >= 0) {
    const line = input.slice(0, nl).trim();
    input = input.slice(nl + 1);
    if (line === 'check') console.log(`open ${sockets.size} closed ${closedEarly}`);
    if (line === 'close') finish();
  }
});
process.stdin.on('end', finish);
function finish() {
  for (const s of sockets) s.destroy();
  process.exit(0);
}
