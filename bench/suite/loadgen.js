'use strict';
// Load generators for bench/bench.js: wrk (throughput), h2load --h1 (pipelined and fixed
// rate, with exact per-request latencies from its --log-file), the idle-connection client,
// and a raw probe request per route.
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { run } = require('./proc');

const LUA = path.join(__dirname, 'lua', 'bench.lua');
const POST_PATTERN = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_';
function postBody(size) {
  return Buffer.from(POST_PATTERN.repeat(Math.floor(size / POST_PATTERN.length) + 1).slice(0, size), 'latin1');
}

// TechEmpower's request headers (their wrk command lines), per workload type.
const ACCEPT = {
  plaintext: 'text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7',
  json: 'application/json,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7',
};
function headers(accept) {
  return [`Accept: ${ACCEPT[accept] || ACCEPT.plaintext}`, 'Connection: keep-alive'];
}

// ------------------------------------------------------------------ wrk

const UNIT = { us: 1e-3, ms: 1, s: 1000 };
function parseWrk(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : null;
  };
  const r = {
    rps: num(/^Requests\/sec:\s*([\d.]+)/m),
    requests: num(/^\s*(\d+) requests in/m),
    seconds: null,
    errors: {},
    non2xx: num(/Non-2xx or 3xx responses:\s*(\d+)/) || 0,
    latencyMs: null,
  };
  const el = /requests in ([\d.]+)(us|ms|s|m)\b/.exec(out);
  if (el) r.seconds = Number(el[1]) * (el[2] === 'm' ? 60 : el[2] === 'ms' ? 1e-3 : el[2] === 'us' ? 1e-6 : 1);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (se) r.errors = { connect: +se[1], read: +se[2], write: +se[3], timeout: +se[4] };
  const lat = /BENCH-LATENCY-US p50=(\d+) p90=(\d+) p99=(\d+) p999=(\d+) max=(\d+)/.exec(out);
  if (lat) {
    const [p50, p90, p99, p999, max] = lat.slice(1).map((x) => Number(x) / 1000);
    r.latencyMs = { p50, p90, p99, p999, max };
  }
  return r;
}

// args: { url, connections, seconds, post (body bytes) }.
async function wrk(cpu, w, seconds) {
  // wrk takes whole seconds only.
  const argv = ['wrk', '-t1', `-c${w.connections}`, `-d${Math.max(1, Math.round(seconds))}s`, '--timeout', '10s'];
  for (const h of headers(w.accept)) argv.push('-H', h);
  argv.push('-s', LUA, w.url);
  if (w.postBytes) argv.push('--', 'POST', String(w.postBytes));
  else if (w.depth > 1) argv.push('--', 'PIPELINE', String(w.depth));
  const r = await run(cpu, argv, { timeoutMs: (seconds + 30) * 1000 });
  const out = `${r.stdout}${r.stderr}`;
  const p = parseWrk(out);
  p.problems = [];
  if (r.code !== 0) p.problems.push(`wrk exited ${r.code}`);
  if (p.rps === null || p.requests === null) p.problems.push('could not parse wrk output');
  for (const [k, v] of Object.entries(p.errors)) if (v) p.problems.push(`${v} socket ${k} errors`);
  if (p.non2xx) p.problems.push(`${p.non2xx} non-2xx responses`);
  p.output = out.trim();
  return p;
}

// ------------------------------------------------------------------ h2load

function parseH2load(out) {
  const m = /finished in ([\d.]+)(ms|s), ([\d.]+) req\/s/.exec(out);
  const rq = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const st = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  return {
    seconds: m ? Number(m[1]) * (m[2] === 'ms' ? 1e-3 : 1) : null,
    rps: m ? Number(m[3]) : null,
    requests: rq ? Number(rq[4]) : null,
    counts: rq ? { total: +rq[1], started: +rq[2], done: +rq[3], succeeded: +rq[4], failed: +rq[5], errored: +rq[6], timeout: +rq[7] } : null,
    status: st ? { '2xx': +st[1], '3xx': +st[2], '4xx': +st[3], '5xx': +st[4] } : null,
  };
}

function percentiles(sorted) {
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] / 1000;
  if (!sorted.length) return null;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: sorted[sorted.length - 1] / 1000 };
}

// Per-request latencies (µs, third column) from h2load's --log-file, sorted.
function readLog(file) {
  const text = fs.readFileSync(file, 'latin1');
  const values = new Float64Array(text.length / 10 + 16);
  let n = 0;
  let lineStart = 0;
  while (lineStart < text.length) {
    let nl = text.indexOf('\n', lineStart);
    if (nl < 0) nl = text.length;
    const tab = text.lastIndexOf('\t', nl);
    if (tab > lineStart) values[n++] = Number(text.slice(tab + 1, nl));
    lineStart = nl + 1;
  }
  return values.subarray(0, n).sort();
}

// w: { url, connections, depth, rps (per connection), postFile, requests (count instead of seconds) }.
async function h2load(cpu, w, seconds, { log = true, requests = null } = {}) {
  const logFile = path.join(os.tmpdir(), `bench-h2load-${process.pid}.log`);
  const argv = ['h2load', '--h1', '-t1', `-c${w.connections}`, `-m${w.depth || 1}`];
  if (requests) argv.push(`-n${requests}`);
  else argv.push(`-D${Math.round(seconds * 1000)}ms`);
  if (w.rpsPerConnection) argv.push(`--rps=${w.rpsPerConnection}`);
  for (const h of headers(w.accept)) argv.push('-H', h);
  if (w.postFile) argv.push('-d', w.postFile, '-H', 'Content-Type: application/octet-stream');
  if (log) argv.push(`--log-file=${logFile}`);
  argv.push(w.url);
  const r = await run(cpu, argv, { timeoutMs: ((seconds || 60) + 30) * 1000 });
  const out = `${r.stdout}${r.stderr}`;
  const p = parseH2load(out);
  p.problems = [];
  p.errors = {};
  p.non2xx = 0;
  if (r.code !== 0) p.problems.push(`h2load exited ${r.code}`);
  if (!p.counts || p.rps === null) p.problems.push('could not parse h2load output');
  if (p.counts) {
    for (const k of ['failed', 'errored', 'timeout']) {
      p.errors[k] = p.counts[k];
      if (p.counts[k]) p.problems.push(`${p.counts[k]} requests ${k}`);
    }
  }
  if (p.status) {
    p.non2xx = p.status['3xx'] + p.status['4xx'] + p.status['5xx'];
    if (p.non2xx) p.problems.push(`${p.non2xx} non-2xx responses`);
  }
  if (log) {
    try {
      p.latencyMs = percentiles(readLog(logFile));
      fs.unlinkSync(logFile);
    } catch (err) {
      p.problems.push(`h2load log: ${err.message}`);
    }
  }
  p.output = out.trim();
  return p;
}

// ------------------------------------------------------------------ probe

// One raw request; resolves { status, statusLine, headerBytes, headers (names), body }.
function probe(port, route, method = 'GET', body = null) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    let size = 0;
    const timer = setTimeout(() => done(new Error(`probe ${method} ${route}: no complete response within 5 s`)), 5000);
    const done = (err, val) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(val);
    };
    sock.on('connect', () => {
      const head =
        `${method} ${route} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: */*\r\n` +
        (body ? `Content-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n` : '') +
        '\r\n';
      sock.write(body ? Buffer.concat([Buffer.from(head), body]) : head);
    });
    sock.on('data', (c) => {
      chunks.push(c);
      size += c.length;
      const buf = Buffer.concat(chunks, size);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!m) return done(new Error(`probe ${method} ${route}: response without content-length: ${head.split('\r\n')[0]}`));
      if (buf.length < end + 4 + Number(m[1])) return;
      const lines = head.split('\r\n');
      done(null, {
        statusLine: lines[0],
        status: Number(lines[0].split(' ')[1]),
        headerBytes: end + 4,
        headers: lines.slice(1).map((l) => l.slice(0, l.indexOf(':')).toLowerCase()),
        body: buf.subarray(end + 4, end + 4 + Number(m[1])),
      });
    });
    sock.on('error', (err) => done(err));
  });
}

module.exports = { wrk, h2load, probe, postBody, headers };
