#!/usr/bin/env node
'use strict';
// Benchmark: node:http vs syshttp (epoll and io_uring backends), measured with wrk.
// Three scenarios: keep-alive GET, pipelined GET, POST 4 KiB echo.
//
//   node bench/iouring-ablation.js [--duration 10] [--connections 50] [--repeat 1] [--warmup 2]
//                    [--depth 16] [--only <id>[,<id>...]] [--ablation]
//
// Each option can also be given as an env var: BENCH_DURATION, BENCH_CONNECTIONS,
// BENCH_REPEAT, BENCH_WARMUP, BENCH_DEPTH, BENCH_ONLY, BENCH_ABLATION=1 (arguments win).
// The io_uring-against-epoll comparison and its ablation (issue 3), kept beside the main
// suite (bench/bench.js): node bench/iouring-ablation.js --ablation. Writes markdown
// tables to stdout and bench/results/iouring-ablation.{md,json}. See bench/README.md.

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const BENCH_DIR = __dirname;
const RESULTS_DIR = path.join(BENCH_DIR, 'results');
const PIPELINE_LUA = path.join(BENCH_DIR, 'pipeline.lua');
const POST_LUA = path.join(BENCH_DIR, 'post.lua');
const NODE_FILE = path.join(BENCH_DIR, 'servers', 'node-http.js');
const SYSHTTP_FILE = path.join(BENCH_DIR, 'servers', 'syshttp.js');
const POST_BYTES = 4096;
const HELLO = 'Hello, World!';

// The same body bench/post.lua sends (same pattern), for the echo probe.
function postBody(size) {
  const pattern = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_';
  return Buffer.from(pattern.repeat(Math.floor(size / pattern.length) + 1).slice(0, size), 'latin1');
}

// Servers. syshttp variants all run bench/servers/syshttp.js; the backend is chosen
// by the child's environment. SYSHTTP_IOURING_NO is always set (to '' for the full
// variants) so an inherited value cannot leak into a run.
//   expect.name   backendInfo.name must be this, or the server is not measured
//   expect.lacks  detail must not contain these tokens (the ablation switch took effect)
//   expect.wants  detail should contain these (only a note if not: older kernels)
const SERVERS = [
  { id: 'node', name: 'node:http', file: NODE_FILE, env: {} },
  {
    id: 'epoll',
    name: 'epoll',
    syshttp: true,
    file: SYSHTTP_FILE,
    env: { SYSHTTP_BACKEND: 'epoll', SYSHTTP_IOURING_NO: '', SYSHTTP_IOURING_DEFER_TASKRUN: '' },
    expect: { name: 'epoll' },
  },
  {
    id: 'io_uring',
    name: 'io_uring',
    syshttp: true,
    file: SYSHTTP_FILE,
    env: { SYSHTTP_BACKEND: 'io_uring', SYSHTTP_IOURING_NO: '', SYSHTTP_IOURING_DEFER_TASKRUN: '' },
    expect: { name: 'io_uring', wants: ['multishot-accept', 'buffer-ring'] },
  },
  {
    id: 'io_uring-no-accept',
    name: 'io_uring −ms-accept',
    what: 'single-shot accept instead of multishot accept',
    ablation: true,
    syshttp: true,
    file: SYSHTTP_FILE,
    env: { SYSHTTP_BACKEND: 'io_uring', SYSHTTP_IOURING_NO: 'accept', SYSHTTP_IOURING_DEFER_TASKRUN: '' },
    expect: { name: 'io_uring', lacks: ['multishot-accept'] },
  },
  {
    id: 'io_uring-no-bufring',
    name: 'io_uring −bufring',
    what: 'single-shot recv into per-connection buffers, no provided-buffer ring',
    ablation: true,
    syshttp: true,
    file: SYSHTTP_FILE,
    env: { SYSHTTP_BACKEND: 'io_uring', SYSHTTP_IOURING_NO: 'bufring', SYSHTTP_IOURING_DEFER_TASKRUN: '' },
    expect: { name: 'io_uring', lacks: ['buffer-ring', 'multishot-recv'] },
  },
  {
    id: 'io_uring-no-accept-bufring',
    name: 'io_uring −both',
    what: 'both of the above',
    ablation: true,
    syshttp: true,
    file: SYSHTTP_FILE,
    env: { SYSHTTP_BACKEND: 'io_uring', SYSHTTP_IOURING_NO: 'accept,bufring', SYSHTTP_IOURING_DEFER_TASKRUN: '' },
    expect: { name: 'io_uring', lacks: ['multishot-accept', 'buffer-ring', 'multishot-recv'] },
  },
  {
    id: 'io_uring-defer',
    name: 'io_uring +defer-taskrun',
    what: 'DEFER_TASKRUN in place of COOP_TASKRUN (an idle loop then hears of new work ~16 ms late: README)',
    ablation: true,
    syshttp: true,
    file: SYSHTTP_FILE,
    env: { SYSHTTP_BACKEND: 'io_uring', SYSHTTP_IOURING_NO: '', SYSHTTP_IOURING_DEFER_TASKRUN: '1' },
    expect: { name: 'io_uring', wants: ['defer-taskrun'] },
  },
];
const BASE_IDS = ['node', 'epoll', 'io_uring'];
const ABLATION_IDS = SERVERS.filter((s) => s.ablation).map((s) => s.id);
const ONLY_ALIASES = {
  'node:http': ['node'],
  'node-http': ['node'],
  syshttp: ['epoll', 'io_uring'],
  uring: ['io_uring'],
  iouring: ['io_uring'],
};

// Ratios reported, A ÷ B, for the servers configured (a missing side shows '—').
function ratioDefs(ids) {
  const defs = [];
  const add = (num, den, group) => defs.push({ key: `${num}/${den}`, num, den, group });
  for (const id of ids) if (id !== 'node') add(id, 'node', id.startsWith('io_uring-') ? 'ablation' : 'main');
  add('io_uring', 'epoll', 'main');
  for (const id of ids) {
    if (!ABLATION_IDS.includes(id)) continue;
    add(id, 'io_uring', 'ablation');
    add(id, 'epoll', 'ablation');
  }
  return defs;
}

// ---------------------------------------------------------------- options

function usage(code) {
  const out = code ? process.stderr : process.stdout;
  out.write(
    'usage: node bench/iouring-ablation.js [--duration <s>] [--connections <n>] [--repeat <n>]\n' +
      '                         [--warmup <s>] [--depth <n>] [--only <id>[,<id>...]] [--ablation]\n' +
      '  --duration     seconds per measured wrk run (default 10, env BENCH_DURATION)\n' +
      '  --connections  wrk connections (default 50, env BENCH_CONNECTIONS)\n' +
      '  --repeat       measured runs per server and scenario; median reported (default 1)\n' +
      '  --warmup       seconds of warm-up before each measured run (default min(2, duration))\n' +
      '  --depth        requests per write in the pipelined scenario (default 16)\n' +
      `  --only         run only these servers: ${SERVERS.map((s) => s.id).join(', ')}\n` +
      '                 (also: syshttp = epoll,io_uring); ratios needing a missing server show —\n' +
      '  --ablation     also run the io_uring ablation variants (env BENCH_ABLATION=1);\n' +
      '                 with --only they are kept in addition to the servers named\n',
  );
  process.exit(code);
}

function parseArgs(argv) {
  const raw = {
    duration: process.env.BENCH_DURATION,
    connections: process.env.BENCH_CONNECTIONS,
    repeat: process.env.BENCH_REPEAT,
    warmup: process.env.BENCH_WARMUP,
    depth: process.env.BENCH_DEPTH,
    only: process.env.BENCH_ONLY,
    ablation: process.env.BENCH_ABLATION,
  };
  const FLAGS = new Set(['ablation']);
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === '-h' || arg === '--help') usage(0);
    if (!arg.startsWith('--')) {
      console.error(`unexpected argument: ${arg}`);
      usage(2);
    }
    arg = arg.slice(2);
    let value;
    const eq = arg.indexOf('=');
    if (eq >= 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    } else if (FLAGS.has(arg)) {
      value = '1';
    } else {
      value = argv[++i];
    }
    if (!(arg in raw)) {
      console.error(`unknown option: --${arg}`);
      usage(2);
    }
    if (value === undefined) {
      console.error(`--${arg} needs a value`);
      usage(2);
    }
    raw[arg] = value;
  }

  const int = (name, def, min) => {
    const v = raw[name];
    if (v === undefined || v === '') return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      console.error(`--${name} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
      usage(2);
    }
    return n;
  };

  const opts = {
    duration: int('duration', 10, 1),
    connections: int('connections', 50, 1),
    repeat: int('repeat', 1, 1),
    depth: int('depth', 16, 1),
    only: null,
    ablation: ['1', 'true', 'yes', 'on'].includes(String(raw.ablation ?? '').toLowerCase()),
  };
  if (raw.ablation !== undefined && raw.ablation !== '' && !opts.ablation &&
      !['0', 'false', 'no', 'off'].includes(String(raw.ablation).toLowerCase())) {
    console.error(`--ablation takes no value, or 1/0 (got ${JSON.stringify(raw.ablation)})`);
    usage(2);
  }
  opts.warmup = int('warmup', Math.min(2, opts.duration), 0);
  if (raw.only !== undefined && raw.only !== '') {
    const ids = [];
    for (const part of raw.only.split(',').map((x) => x.trim()).filter(Boolean)) {
      const mapped = ONLY_ALIASES[part] || [part];
      for (const id of mapped) {
        if (!SERVERS.some((s) => s.id === id)) {
          console.error(`--only: unknown server ${JSON.stringify(part)} (one of ${SERVERS.map((s) => s.id).join(', ')})`);
          usage(2);
        }
        if (!ids.includes(id)) ids.push(id);
      }
    }
    opts.only = ids;
  }
  return opts;
}

// ---------------------------------------------------------------- children

const children = new Set();

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function alive(child) {
  return child.exitCode === null && child.signalCode === null;
}

function killAll(signal) {
  for (const child of children) {
    if (alive(child)) {
      try {
        child.kill(signal);
      } catch {
        /* already gone */
      }
    }
  }
}

process.on('exit', () => killAll('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stderr.write(`\n${sig}: stopping servers and wrk\n`);
    killAll('SIGKILL');
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

// ---------------------------------------------------------------- environment

function which(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error && r.error.code === 'ENOENT') return null;
  return `${r.stdout || ''}${r.stderr || ''}`;
}

function requireTool(cmd, args, hint) {
  const out = which(cmd, args);
  if (out === null) {
    console.error(`error: \`${cmd}\` was not found on PATH.\n${hint}`);
    process.exit(1);
  }
  return out;
}

function expandCpuList(list) {
  const cpus = [];
  for (const part of list.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    for (let c = a; c <= (b === undefined ? a : b); c++) cpus.push(c);
  }
  return cpus;
}

function allowedCpus() {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(status);
    if (m) {
      const cpus = expandCpuList(m[1]);
      if (cpus.length) return cpus;
    }
  } catch {
    /* not Linux? fall through */
  }
  return os.cpus().map((_, i) => i);
}

function clockTicks() {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number((r.stdout || '').trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
}

function describeMachine(wrkVersion, pin) {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    kernel: `${os.type()} ${os.release()} ${os.version()}`,
    arch: os.arch(),
    cpuModel: cpus.length ? cpus[0].model.trim() : 'unknown',
    cpuCount: cpus.length,
    allowedCpus: allowedCpus(),
    wrk: wrkVersion,
    pinning: pin ? { server: pin.server, wrk: pin.wrk } : null,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

// ---------------------------------------------------------------- /proc

function readCpuTicks(pid) {
  // /proc/<pid>/stat: field 2 (comm) is in parentheses and may contain spaces;
  // fields after the last ')' start at field 3, so utime (14) is index 11.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[14 - 3]) + Number(rest[15 - 3]);
}

function readPeakRssKb(pid) {
  try {
    const m = /^VmHWM:\s*(\d+)\s*kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- servers

function startServer(def, pin) {
  return new Promise((resolve, reject) => {
    const cmd = pin ? 'taskset' : process.execPath;
    const args = pin ? ['-c', String(pin.server), process.execPath, def.file, '0'] : [def.file, '0'];
    const child = track(
      spawn(cmd, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, ...def.env, BENCH_EXIT_ON_STDIN_END: '1' },
      }),
    );
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (err, port, detail) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        if (alive(child)) child.kill('SIGKILL');
        reject(err);
      } else resolve({ child, port, detail, stderrTail: () => stderr.slice(-4000) });
    };
    const timer = setTimeout(
      () => finish(new Error(`${def.name}: no "listening <port>" line within 15 s\n${stderr.slice(-2000)}`)),
      15000,
    );
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      if (settled) return; // keep draining so the server never blocks on a full pipe
      stdout += chunk;
      // Ready line: `listening <port>[ <backend detail>]`.
      const m = /^listening (\d+)(?:[ \t]+([^\r\n]*?))?[ \t]*\r?$/m.exec(stdout);
      if (m && stdout.includes('\n', m.index)) finish(null, Number(m[1]), m[2] || null);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-16000);
    });
    child.stdin.on('error', () => {});
    child.on('error', (err) => finish(err));
    child.on('exit', (code, signal) => {
      // Put the most telling stderr line (usually "Error: ...") on the first line.
      const key = stderr.split('\n').find((l) => /^\w*Error\b|Error:/.test(l.trim()));
      finish(
        new Error(
          `${def.name}: server exited (${signal || `code ${code}`}) before listening` +
            (key ? ` — ${key.trim()}` : '') +
            (stderr ? `\n${stderr.trim().slice(-2000)}` : ''),
        ),
      );
    });
  });
}

async function stopServer(child) {
  if (!alive(child)) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => alive(child) && child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}

// Checks a syshttp server's backendInfo.detail against what its environment asked for.
// Returns [error or null, notes[]].
function checkBackend(def, detail) {
  const notes = [];
  if (!def.expect) return [null, notes];
  const tokens = (detail || '').split(/\s+/);
  const has = (t) => tokens.some((x) => x === t || x.split('+').includes(t));
  if (tokens[0] !== def.expect.name) {
    return [`backend is ${JSON.stringify(detail)}, expected ${def.expect.name}`, notes];
  }
  for (const t of def.expect.lacks || []) {
    if (has(t)) return [`backend still uses ${t} (${JSON.stringify(detail)}): SYSHTTP_IOURING_NO had no effect`, notes];
  }
  for (const t of def.expect.wants || []) {
    if (!has(t)) notes.push(`${def.name} runs without ${t} (kernel support?)`);
  }
  return [null, notes];
}

// One raw request, so the report can show what each server actually sends
// (header bytes differ between servers and matter for a hello-world), and so the
// POST echo can be checked byte for byte.
function probe(port, method = 'GET', body = null) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const done = (err, val) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(val);
    };
    const timer = setTimeout(() => done(new Error(`probe ${method}: no complete response within 5 s`)), 5000);
    sock.on('error', (err) => done(err));
    sock.on('connect', () => {
      let head = `${method} / HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
      if (body) head += `Content-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n`;
      sock.write(head + '\r\n');
      if (body) sock.write(body);
    });
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const lines = head.split('\r\n');
      const status = Number((/^HTTP\/1\.[01] (\d{3})/.exec(lines[0]) || [])[1]);
      const headers = lines.slice(1).map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
      const cl = /^content-length:\s*(\d+)/im.exec(head);
      let resBody;
      let total;
      if (cl) {
        const len = Number(cl[1]);
        if (buf.length < end + 4 + len) return;
        resBody = buf.subarray(end + 4, end + 4 + len);
        total = end + 4 + len;
      } else if (/^transfer-encoding:\s*chunked/im.test(head)) {
        const parts = [];
        let at = end + 4;
        for (;;) {
          const eol = buf.indexOf('\r\n', at);
          if (eol < 0) return;
          const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
          if (!(size >= 0)) return done(new Error(`probe ${method}: bad chunk size`));
          if (buf.length < eol + 2 + size + 2) return;
          if (size === 0) {
            if (buf.indexOf('\r\n\r\n', eol) !== eol) return; // trailers: not expected here
            total = eol + 4;
            break;
          }
          parts.push(buf.subarray(eol + 2, eol + 2 + size));
          at = eol + 2 + size + 2;
        }
        resBody = Buffer.concat(parts);
      } else {
        return; // wait for close
      }
      done(null, {
        method,
        requestBodyBytes: body ? body.length : 0,
        status,
        statusLine: lines[0],
        headers,
        responseBytes: total,
        bodyBytes: resBody.length,
        body: resBody,
      });
    });
    sock.on('end', () => done(new Error(`probe ${method}: connection closed before a complete response`)));
  });
}

// GET must answer the hello world; POST must echo a POST_BYTES body byte for byte.
async function probeServer(s) {
  const get = await probe(s.port, 'GET');
  const sent = postBody(POST_BYTES);
  const post = await probe(s.port, 'POST', sent);
  const getOk = get.status === 200 && get.body.toString('utf8') === HELLO;
  const echoOk = post.status === 200 && post.body.equals(sent);
  const strip = ({ body, ...rest }) => rest;
  return {
    get: { ...strip(get), body: get.body.toString('utf8').slice(0, 100), ok: getOk },
    post: { ...strip(post), echoOk },
    getProblem: getOk ? null : `GET answered ${get.statusLine} with body ${JSON.stringify(get.body.toString('utf8').slice(0, 100))}`,
    echoProblem: echoOk
      ? null
      : `POST ${POST_BYTES} B answered ${post.statusLine} with a ${post.bodyBytes}-byte body` +
        (post.bodyBytes === POST_BYTES ? ' that differs from the request body' : ''),
  };
}

// ---------------------------------------------------------------- wrk

function runWrk(pin, args) {
  return new Promise((resolve, reject) => {
    const cmd = pin ? 'taskset' : 'wrk';
    const full = pin ? ['-c', String(pin.wrk), 'wrk', ...args] : args;
    const child = track(spawn(cmd, full, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`wrk failed (${signal || `code ${code}`}):\n${out.trim()}`));
    });
  });
}

function parseWrk(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : null;
  };
  const requests = num(/^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)/m);
  const d = /^\s*\d+ requests in ([\d.]+)(us|ms|s|m|h)/m.exec(out);
  const unit = d ? { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }[d[2]] : null;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
  const errors = {};
  if (socket) {
    errors.connect = Number(socket[1]);
    errors.read = Number(socket[2]);
    errors.write = Number(socket[3]);
    errors.timeout = Number(socket[4]);
  }
  if (non2xx !== null) errors.non2xx = non2xx;
  const errorLines = out
    .split('\n')
    .filter((l) => /Socket errors:|Non-2xx or 3xx responses:/.test(l))
    .map((l) => l.trim());
  return {
    requests,
    elapsedSeconds: d ? Number(d[1]) * unit : null,
    rps: num(/^Requests\/sec:\s*([\d.]+)/m),
    errors,
    errorLines,
  };
}

async function measure(server, scenario, opts, pin, ticksPerSec) {
  const url = `http://127.0.0.1:${server.port}/`;
  const base = ['-t1', `-c${opts.connections}`];
  const tail = scenario.script ? ['-s', scenario.script, url, '--', ...scenario.scriptArgs] : [url];

  if (opts.warmup > 0) await runWrk(pin, [...base, `-d${opts.warmup}s`, ...tail]);
  if (!alive(server.child)) throw new Error(`${server.name} died during warm-up`);

  const before = readCpuTicks(server.child.pid);
  const out = await runWrk(pin, [...base, `-d${opts.duration}s`, ...tail]);
  const after = readCpuTicks(server.child.pid);

  const w = parseWrk(out);
  const cpuSeconds = (after - before) / ticksPerSec;
  const problems = [];
  if (w.rps === null || w.requests === null) problems.push('could not parse wrk output');
  for (const [k, v] of Object.entries(w.errors)) if (v > 0) problems.push(`${k} errors: ${v}`);
  if (cpuSeconds <= 0) problems.push('no server CPU time measured');
  if (!alive(server.child)) problems.push('server died');
  if (scenario.echo && server.probe && server.probe.echoProblem) problems.push(`echo probe: ${server.probe.echoProblem}`);
  if (!scenario.echo && server.probe && server.probe.getProblem) problems.push(`GET probe: ${server.probe.getProblem}`);
  return {
    rps: w.rps,
    requests: w.requests,
    elapsedSeconds: w.elapsedSeconds,
    cpuSeconds,
    cpuUtilization: w.elapsedSeconds ? cpuSeconds / w.elapsedSeconds : null,
    reqPerCpuSec: cpuSeconds > 0 && w.requests !== null ? w.requests / cpuSeconds : null,
    peakRssKb: readPeakRssKb(server.child.pid),
    errors: w.errors,
    errorLines: w.errorLines,
    valid: problems.length === 0,
    problems,
    wrkOutput: out.trim(),
  };
}

// ---------------------------------------------------------------- report

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

const fmtInt = (x) => (x === null || x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
const fmtRatio = (x) => (x === null || x === undefined ? '—' : `**${x.toFixed(2)}×**`);

function buildMarkdown(result) {
  const { machine, options, scenarios, servers } = result;
  const name = (id) => (servers[id] ? servers[id].name : SERVERS.find((s) => s.id === id).name);
  const L = [];
  L.push('# syshttp (epoll, io_uring) vs node:http — wrk');
  L.push('');
  L.push(`- date: ${machine.date}`);
  L.push(`- node: ${machine.node}; kernel: ${machine.kernel}; arch: ${machine.arch}`);
  L.push(`- CPU: ${machine.cpuModel} (${machine.cpuCount} CPUs, allowed: ${machine.allowedCpus.join(',')}); loadavg at start: ${machine.loadavg.join(' ')}`);
  L.push(`- wrk: ${machine.wrk}`);
  L.push(
    `- pinning: ${machine.pinning ? `server on CPU ${machine.pinning.server}, wrk on CPU ${machine.pinning.wrk} (taskset)` : 'none (only 1 CPU available)'}`,
  );
  L.push(
    `- wrk -t1 -c${options.connections}, ${options.duration} s measured after ${options.warmup} s warm-up, ` +
      `pipelined depth ${options.depth}, POST body ${options.postBytes} B, repeat ${options.repeat}${options.repeat > 1 ? ' (medians)' : ''}` +
      (options.only ? `, only ${options.only.join(',')}` : '') +
      (options.ablation ? ', with io_uring ablation' : ''),
  );
  L.push('');

  const mark = (x) => (x && x.runs && x.runs.length && x.valid === false ? ' ⚠' : '');
  const cell = (sc, id, k) => {
    const a = sc.servers[id];
    return a ? `${fmtInt(a[k])}${mark(a)}` : '—';
  };
  const ratioCell = (sc, key, k) => fmtRatio(sc.ratios[key] ? sc.ratios[key][k] : null);
  const mainRatios = ['epoll/node', 'io_uring/node', 'io_uring/epoll'];
  const ratioHead = (key) => {
    const [a, b] = key.split('/');
    return `${name(a)} ÷ ${name(b)}`;
  };

  for (const [k, title] of [
    ['reqPerCpuSec', 'req/CPU-s — requests per second of server CPU time (headline: CPU cost per request)'],
    ['rps', 'req/s — throughput, server pinned to one core'],
  ]) {
    L.push(`## ${title}`);
    L.push('');
    L.push(`| scenario | ${BASE_IDS.map(name).join(' | ')} | ${mainRatios.map(ratioHead).join(' | ')} |`);
    L.push(`|---|${BASE_IDS.map(() => '---:').join('|')}|${mainRatios.map(() => '---:').join('|')}|`);
    for (const sc of scenarios) {
      L.push(
        `| ${sc.label} | ${BASE_IDS.map((id) => cell(sc, id, k)).join(' | ')} | ` +
          `${mainRatios.map((key) => ratioCell(sc, key, k)).join(' | ')} |`,
      );
    }
    L.push('');
  }

  const ablation = ABLATION_IDS.filter((id) => scenarios.some((sc) => sc.servers[id]));
  if (ablation.length) {
    L.push('## io_uring ablation');
    L.push('');
    for (const id of ablation) {
      const def = SERVERS.find((s) => s.id === id);
      L.push(`- ${def.name}: ${def.what} (\`SYSHTTP_IOURING_NO=${def.env.SYSHTTP_IOURING_NO}\`)`);
    }
    L.push('');
    L.push('| scenario | variant | req/s | req/CPU-s | req/CPU-s ÷ io_uring | req/CPU-s ÷ epoll | req/s ÷ io_uring | req/s ÷ epoll |');
    L.push('|---|---|---:|---:|---:|---:|---:|---:|');
    for (const sc of scenarios) {
      for (const id of ['io_uring', ...ablation]) {
        const ref = id === 'io_uring';
        const r = (den, k) => (ref && den === 'io_uring' ? '(ref.)' : ratioCell(sc, `${id}/${den}`, k));
        L.push(
          `| ${sc.label} | ${name(id)} | ${cell(sc, id, 'rps')} | ${cell(sc, id, 'reqPerCpuSec')} | ` +
            `${r('io_uring', 'reqPerCpuSec')} | ${r('epoll', 'reqPerCpuSec')} | ${r('io_uring', 'rps')} | ${r('epoll', 'rps')} |`,
        );
      }
    }
    L.push('');
  }

  L.push('## Servers');
  L.push('');
  L.push('| id | started as | backend (backendInfo.detail) | GET response | POST echo |');
  L.push('|---|---|---|---|---|');
  for (const [id, s] of Object.entries(servers)) {
    const g = s.probe && s.probe.get;
    const p = s.probe && s.probe.post;
    const env = Object.entries(s.env || {})
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    L.push(
      `| ${id} | \`${env ? `${env} ` : ''}${s.file}\` | ${s.error ? `FAILED: ${s.error.split('\n')[0]}` : s.detail || '—'} | ` +
        `${g ? `\`${g.statusLine}\`, ${g.responseBytes} B, headers: ${g.headers.join(', ')}${g.ok ? '' : ' ⚠'}` : '—'} | ` +
        `${p ? `${p.requestBodyBytes} B → ${p.bodyBytes}-byte body in ${p.responseBytes} B${p.echoOk ? ', identical' : ' ⚠ NOT an echo'}` : '—'} |`,
    );
  }
  L.push('');

  L.push('## Per run');
  L.push('');
  L.push('| scenario | server | run | requests | req/s | server CPU-s | server CPU % | req/CPU-s | peak RSS MiB | errors |');
  L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const s of scenarios) {
    for (const [id, agg] of Object.entries(s.servers)) {
      agg.runs.forEach((r, i) => {
        L.push(
          `| ${s.label} | ${name(id)} | ${i + 1} | ${fmtInt(r.requests)} | ${fmtInt(r.rps)} | ` +
            `${r.cpuSeconds === undefined ? '—' : r.cpuSeconds.toFixed(2)} | ` +
            `${r.cpuUtilization == null ? '—' : Math.round(r.cpuUtilization * 100)} | ${fmtInt(r.reqPerCpuSec)} | ` +
            `${r.peakRssKb == null ? '—' : (r.peakRssKb / 1024).toFixed(0)} | ` +
            `${r.error ? `FAILED: ${r.error.split('\n')[0]}` : r.problems.length ? `⚠ ${r.problems.join('; ')}` : 'none'} |`,
        );
      });
    }
  }
  L.push('');
  for (const n of result.notes) L.push(`- note: ${n}`);
  for (const [, s] of Object.entries(servers)) {
    if (s.error) L.push(`- **${s.name} failed:** ${s.error.split('\n')[0]}`);
  }
  if (scenarios.some((s) => Object.values(s.servers).some((a) => a.valid === false))) {
    L.push('- ⚠ = invalid: wrk reported errors, a probe check failed, or the run failed; see iouring-ablation.json.');
  }
  L.push('- Ratios are A ÷ B: > 1 means A is faster (req/s) or cheaper per request (req/CPU-s). — = a side did not run. See bench/README.md.');
  return L.join('\n') + '\n';
}

function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));

  const wrkOut = requireTool(
    'wrk',
    ['-v'],
    'Install it with `apt-get install wrk` (Debian/Ubuntu) or build it from https://github.com/wg/wrk.',
  );
  const wrkVersion = (/^(wrk [^\n]*?)(\s+Copyright.*)?$/m.exec(wrkOut) || [null, 'unknown'])[1].trim();

  const cpus = allowedCpus();
  let pin = null;
  if (cpus.length >= 2) {
    requireTool(
      'taskset',
      ['-V'],
      'taskset is part of util-linux: `apt-get install util-linux` (Debian/Ubuntu).',
    );
    pin = { server: cpus[0], wrk: cpus[1] };
  } else {
    console.error('note: only 1 CPU available — not pinning; server and wrk share the CPU, so req/s is understated (req/CPU-s still holds).');
  }

  const ticksPerSec = clockTicks();
  const machine = describeMachine(wrkVersion, pin);
  const defs = SERVERS.filter((s) =>
    opts.only ? opts.only.includes(s.id) || (s.ablation && opts.ablation) : !s.ablation || opts.ablation,
  );
  const c = opts.connections;
  const scenarios = [
    { id: 'keepalive', label: `keep-alive GET, c=${c}`, script: null, scriptArgs: [] },
    { id: 'pipelined', label: `pipelined ×${opts.depth} GET, c=${c}`, script: PIPELINE_LUA, scriptArgs: [String(opts.depth)] },
    { id: 'post', label: `POST ${POST_BYTES / 1024} KiB echo, c=${c}`, script: POST_LUA, scriptArgs: [String(POST_BYTES)], echo: true },
  ];

  const est = defs.length * scenarios.length * opts.repeat * (opts.duration + opts.warmup);
  console.error(
    `bench: ${defs.map((d) => d.name).join(', ')}; ${scenarios.length} scenarios × ${opts.repeat} run(s); ~${est} s` +
      (pin ? `; server on CPU ${pin.server}, wrk on CPU ${pin.wrk}` : ''),
  );

  const notes = [];
  const servers = {};
  for (const def of defs) {
    const s = {
      id: def.id,
      name: def.name,
      file: path.relative(path.join(BENCH_DIR, '..'), def.file),
      env: def.env,
      ablation: !!def.ablation,
    };
    servers[def.id] = s;
    try {
      const started = await startServer(def, pin);
      s.child = started.child;
      s.port = started.port;
      s.detail = started.detail;
      s.stderrTail = started.stderrTail;
      const [bad, backendNotes] = checkBackend(def, s.detail);
      if (bad) throw new Error(`${def.name}: ${bad}`);
      notes.push(...backendNotes);
      s.probe = await probeServer(s);
      for (const p of [s.probe.getProblem, s.probe.echoProblem]) {
        if (p) console.error(`warning: ${def.name}: ${p}`);
      }
      console.error(
        `  ${def.name}: pid ${s.child.pid}, port ${s.port}, ${s.detail || '?'}; ` +
          `GET ${s.probe.get.responseBytes} B, POST echo ${s.probe.post.echoOk ? 'ok' : 'WRONG'}`,
      );
    } catch (err) {
      s.error = err.message;
      if (def.syshttp && /Cannot find module|dist\/index\.js|\.node\b/.test(err.message)) {
        const nl = s.error.indexOf('\n');
        const hint = ' (is syshttp built? run `npm run build` first)';
        s.error = nl < 0 ? s.error + hint : s.error.slice(0, nl) + hint + s.error.slice(nl);
      }
      console.error(`error: ${s.error}`);
      if (s.child) await stopServer(s.child);
      s.child = null;
    }
  }

  const results = scenarios.map((sc) => ({
    id: sc.id,
    label: sc.label,
    servers: Object.fromEntries(defs.map((d) => [d.id, { runs: [] }])),
  }));

  // Interleave servers inside each repetition (A B C A B C ...) so slow drifts in
  // machine load hit all of them roughly equally.
  for (let i = 0; i < scenarios.length; i++) {
    for (let r = 0; r < opts.repeat; r++) {
      for (const def of defs) {
        const s = servers[def.id];
        if (!s.child) continue;
        const runs = results[i].servers[def.id].runs;
        process.stderr.write(`  ${scenarios[i].label} / ${def.name} run ${r + 1}/${opts.repeat} ... `);
        try {
          const m = await measure(s, scenarios[i], opts, pin, ticksPerSec);
          runs.push(m);
          process.stderr.write(
            `${fmtInt(m.rps)} req/s, ${fmtInt(m.reqPerCpuSec)} req/CPU-s` +
              (m.valid ? '\n' : ` (INVALID: ${m.problems.join('; ')})\n`),
          );
        } catch (err) {
          runs.push({ error: err.message, valid: false, problems: [err.message] });
          process.stderr.write(`FAILED\n${err.message}\n`);
          if (!alive(s.child)) {
            s.error = `${def.name} died: ${s.stderrTail().trim().slice(-1000)}`;
            s.child = null;
          }
        }
      }
    }
  }

  for (const s of Object.values(servers)) {
    if (s.child) await stopServer(s.child);
  }

  const rdefs = ratioDefs(SERVERS.filter((s) => !s.ablation || opts.ablation).map((s) => s.id));
  for (const sc of results) {
    for (const agg of Object.values(sc.servers)) {
      agg.rps = median(agg.runs.map((r) => r.rps));
      agg.reqPerCpuSec = median(agg.runs.map((r) => r.reqPerCpuSec));
      agg.cpuUtilization = median(agg.runs.map((r) => r.cpuUtilization));
      agg.valid = agg.runs.length > 0 && agg.runs.every((r) => r.valid);
    }
    sc.ratios = {};
    for (const d of rdefs) {
      const a = sc.servers[d.num];
      const b = sc.servers[d.den];
      const ratio = (k) => (a && b && a[k] && b[k] ? a[k] / b[k] : null);
      sc.ratios[d.key] = { num: d.num, den: d.den, rps: ratio('rps'), reqPerCpuSec: ratio('reqPerCpuSec') };
    }
  }

  const result = {
    machine,
    options: {
      duration: opts.duration,
      warmup: opts.warmup,
      connections: opts.connections,
      threads: 1,
      depth: opts.depth,
      postBytes: POST_BYTES,
      repeat: opts.repeat,
      only: opts.only,
      ablation: opts.ablation,
      clockTicksPerSecond: ticksPerSec,
    },
    servers: Object.fromEntries(
      Object.entries(servers).map(([id, s]) => [
        id,
        {
          name: s.name,
          file: s.file,
          env: s.env,
          ablation: s.ablation,
          detail: s.detail ?? null,
          port: s.port ?? null,
          probe: s.probe ? { get: s.probe.get, post: s.probe.post } : null,
          error: s.error ?? null,
        },
      ]),
    ),
    scenarios: results,
    notes,
  };
  result.valid =
    Object.values(servers).every((s) => !s.error) &&
    results.every((sc) => Object.values(sc.servers).every((a) => a.valid));

  const md = buildMarkdown(result);
  process.stdout.write(`\n${md}`);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  writeAtomic(path.join(RESULTS_DIR, 'iouring-ablation.md'), md);
  writeAtomic(path.join(RESULTS_DIR, 'iouring-ablation.json'), JSON.stringify(result, null, 2) + '\n');
  console.error(`wrote ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'iouring-ablation.md'))} and iouring-ablation.json`);
  return result.valid ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err && err.stack ? err.stack : err);
    killAll('SIGKILL');
    process.exit(1);
  },
);
