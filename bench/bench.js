#!/usr/bin/env node
'use strict';
// The benchmark suite: syshttp against node:http, fastify, Express and a C "limit" server.
//
//   npm run bench                 full: 3 rounds × 10 s per server and workload (~40 min)
//   npm run bench -- --quick      1 round × 1 s (< 3 min), for checking the harness
//
// Each measurement starts the server in a fresh process pinned (taskset) to one CPU and
// the load generator pinned to another; servers are interleaved round by round
// (A B C … A B C …); medians with min–max are reported. See bench/README.md.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const proc = require('./suite/proc');
const load = require('./suite/loadgen');
const { SERVERS, workloads, ROOT, ECHO_BYTES } = require('./suite/config');
const { aggregate, markdown, svg, updateReadme } = require('./suite/report');
const { profileAll } = require('./suite/profile');
const { idle } = require('./suite/idle');

const USAGE = `usage: npm run bench -- [--quick] [options]
  --quick              1 round, 1 s runs (1.5 s at fixed rate), 0.3 s warm-up (< 3 minutes)
  --rounds <n>         rounds (default 3; quick 1); each server runs each workload once per round
  --duration <s>       whole seconds per measured run (default 10; quick 1)
  --warmup <s>         warm-up before each measured run (default 2; quick 0.3)
  --latency-rate <n>   fixed request rate of the latency workload (default 1000 req/s)
  --idle <n>           idle connections (default 10000)
  --only <ids>         servers: ${SERVERS.map((s) => s.id).join(',')}
  --workloads <ids>    plaintext,pipelined,json,echo,download,idle,latency
  --no-profile         skip the allocation / native-call count
  --readme             update README.md's benchmark table (full runs always do)
  --out <dir>          results directory (default bench/results)`;

function parseArgs(argv) {
  const o = { quick: false, profile: true, readme: null, out: path.join(__dirname, 'results') };
  const raw = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (a === '--quick') o.quick = true;
    else if (a === '--no-profile') o.profile = false;
    else if (a === '--readme') o.readme = true;
    else if (/^--(rounds|duration|warmup|latency-rate|idle|only|workloads|out)$/.test(a) && i + 1 < argv.length) raw[a.slice(2)] = argv[++i];
    else {
      console.error(`unknown argument ${a}\n${USAGE}`);
      process.exit(2);
    }
  }
  const num = (k, def) => {
    if (raw[k] === undefined) return def;
    const n = Number(raw[k]);
    if (!(n > 0)) {
      console.error(`--${k} must be a positive number`);
      process.exit(2);
    }
    return n;
  };
  o.rounds = Math.round(num('rounds', o.quick ? 1 : 3));
  o.duration = Math.max(1, Math.round(num('duration', o.quick ? 1 : 10)));
  o.warmup = num('warmup', o.quick ? 0.3 : 2);
  o.latencySeconds = o.quick ? 1.5 : o.duration;
  o.pipelinedLatencySeconds = o.quick ? 0.5 : Math.min(o.duration, 3);
  o.latencyRate = Math.round(num('latency-rate', 1000));
  o.idleConnections = Math.round(num('idle', 10000));
  o.profileRequests = o.quick ? 5000 : 100000;
  o.only = raw.only ? raw.only.split(',') : null;
  o.workloadIds = raw.workloads ? raw.workloads.split(',') : null;
  const known = (list, ids, what) => {
    for (const id of list || []) {
      if (!ids.includes(id)) {
        console.error(`unknown ${what} ${JSON.stringify(id)} (one of ${ids.join(', ')})`);
        process.exit(2);
      }
    }
  };
  known(o.only, SERVERS.map((s) => s.id), 'server');
  known(o.workloadIds, ['plaintext', 'pipelined', 'json', 'echo', 'download', 'idle', 'latency'], 'workload');
  if (raw.out) o.out = path.resolve(raw.out);
  if (o.readme === null) o.readme = !o.quick && !o.only && !o.workloadIds;
  return o;
}

// ------------------------------------------------------------------ set-up checks

function tools() {
  const t = {
    wrk: proc.version('wrk', ['-v'], /^(wrk \S+)/m),
    h2load: proc.version('h2load', ['--version'], /(nghttp2\/\S+)/),
    taskset: proc.version('taskset', ['-V']),
    cc: proc.version('cc', ['--version']),
  };
  const missing = [];
  if (!t.wrk) missing.push('wrk (apt-get install wrk)');
  if (!t.h2load) missing.push('h2load (apt-get install nghttp2-client)');
  if (!t.taskset) missing.push('taskset (apt-get install util-linux)');
  if (missing.length) {
    console.error(`error: missing ${missing.join(', ')}`);
    process.exit(1);
  }
  return t;
}

function buildLimit() {
  const dir = path.join(__dirname, 'build');
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, 'limit');
  const r = spawnSync('cc', ['-O2', '-o', out, path.join(__dirname, 'limit', 'limit.c')], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { error: `cc -O2 bench/limit/limit.c failed: ${r.error ? r.error.message : r.stderr.trim()}` };
  return { binary: out };
}

// Why a server cannot run here (a missing build or package), or null.
function missingFor(def) {
  for (const need of def.needs || []) {
    if (need.includes('/')) {
      if (!fs.existsSync(path.join(ROOT, need))) return `${need} is missing (run \`npm run build\`)`;
    } else {
      try {
        require.resolve(need, { paths: [ROOT] });
      } catch {
        return `package ${need} is not installed (run \`npm install\`)`;
      }
    }
  }
  return null;
}

function packageVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function git(args) {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

// ------------------------------------------------------------------ servers

// Starts `def` pinned to `cpu`; resolves { child, port, detail, stderr() }.
function startServer(def, cpu, { nofile, nodeArgs = [], env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const argv = def.kind === 'limit' ? [def.binary, '0'] : [process.execPath, ...nodeArgs, path.join(ROOT, def.script), '0'];
    const child = proc.start(cpu, argv, { env: { ...def.env, ...env, BENCH_EXIT_ON_STDIN_END: '1' }, nofile });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (err, val) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        if (proc.alive(child)) child.kill('SIGKILL');
        reject(err);
      } else resolve(val);
    };
    const timer = setTimeout(() => finish(new Error(`no "listening <port>" line within 20 s; stderr: ${stderr.slice(-1500)}`)), 20000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      if (settled) return;
      stdout += d;
      const m = /^listening (\d+)(?:[ \t]+([^\r\n]*))?\r?\n/m.exec(stdout);
      if (m) finish(null, { child, port: Number(m[1]), detail: m[2] || '', stderr: () => stderr });
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr = (stderr + d).slice(-20000);
    });
    child.stdin.on('error', () => {});
    child.on('error', finish);
    child.on('exit', (code, signal) => {
      const key = stderr.split('\n').find((l) => /Error\b/.test(l));
      finish(new Error(`exited (${signal || `code ${code}`}) before listening${key ? ` — ${key.trim()}` : ''}\n${stderr.trim().slice(-1500)}`));
    });
  });
}

async function stopServer(child) {
  if (!proc.alive(child)) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => proc.alive(child) && child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(t);
}

// ------------------------------------------------------------------ one measurement

async function measureOnce(def, w, o, pin) {
  const m = { valid: false, problems: [] };
  let server;
  try {
    server = await startServer(def, pin.server, { nofile: w.tool === 'idle' ? o.nofile : null });
  } catch (err) {
    m.problems.push(`server did not start: ${err.message.split('\n')[0]}`);
    m.startError = err.message;
    return m;
  }
  try {
    m.detail = server.detail;
    if (def.backend && server.detail.split(' ')[0] !== def.backend) {
      m.problems.push(`backend is "${server.detail}", asked for ${def.backend}`);
      return m;
    }
    const sent = w.method === 'POST' ? load.postBody(ECHO_BYTES) : null;
    const p = await load.probe(server.port, w.route, w.method || 'GET', sent);
    const bad = p.status !== 200 ? `status ${p.statusLine}` : w.check(p, sent);
    m.probe = { statusLine: p.statusLine, headerBytes: p.headerBytes, bodyBytes: p.body.length, headers: p.headers };
    if (bad) {
      m.problems.push(`probe ${w.method || 'GET'} ${w.route}: ${bad}`);
      return m;
    }
    const spec = { ...w, url: `http://127.0.0.1:${server.port}${w.route}`, postFile: w.method === 'POST' ? o.postFile : null };
    if (w.tool === 'idle') {
      const { problems, ...r } = await idle(server, spec, o, pin);
      m.problems.push(...problems);
      Object.assign(m, r);
    } else {
      const gen = w.tool === 'wrk' ? load.wrk : load.h2load;
      const seconds = w.fixedRate ? o.latencySeconds : o.duration;
      // Warm-up (JIT, connection set-up) with h2load, whatever measures: it takes
      // fractions of a second, wrk does not.
      if (o.warmup > 0) await load.h2load(pin.load, spec, Math.min(o.warmup, seconds), { log: false });
      if (!proc.alive(server.child)) throw new Error('server died during warm-up');
      const cpu0 = proc.cpuSeconds(server.child.pid);
      const r = await gen(pin.load, spec, seconds);
      const cpu1 = proc.cpuSeconds(server.child.pid);
      m.problems.push(...r.problems);
      m.rps = r.rps;
      m.requests = r.requests;
      m.seconds = r.seconds;
      m.cpuSeconds = cpu1 - cpu0;
      m.cpuShare = r.seconds ? m.cpuSeconds / r.seconds : null;
      m.reqPerCpuSec = m.cpuSeconds > 0 && r.requests ? r.requests / m.cpuSeconds : null;
      m.latencyMs = r.latencyMs || null;
      m.errors = r.errors;
      m.non2xx = r.non2xx;
      m.output = r.output;
      if (w.latencyTool === 'h2load') {
        // wrk's pipelined latencies are per write, not per request: h2load's log has each.
        const l = await load.h2load(pin.load, spec, o.pipelinedLatencySeconds);
        m.problems.push(...l.problems.map((x) => `h2load latency run: ${x}`));
        m.latencyMs = l.latencyMs || null;
        m.latencyRps = l.rps;
        m.latencyOutput = l.output;
      }
      if (w.fixedRate && r.rps !== null && r.rps < w.fixedRate * 0.9) {
        m.problems.push(`served ${Math.round(r.rps)} req/s, below the fixed ${w.fixedRate} req/s: saturated, percentiles not at that rate`);
      }
    }
    if (!proc.alive(server.child)) m.problems.push(`server died (${server.child.signalCode || `exit ${server.child.exitCode}`}): ${server.stderr().trim().slice(-500)}`);
    else Object.assign(m, { peakRssKb: proc.memory(server.child.pid).peakRssKb });
    m.valid = m.problems.length === 0;
    return m;
  } catch (err) {
    m.problems.push(err.message);
    if (!proc.alive(server.child)) m.problems.push(`server died (${server.child.signalCode || `exit ${server.child.exitCode}`}): ${server.stderr().trim().slice(-500)}`);
    return m;
  } finally {
    await stopServer(server.child);
  }
}

// ------------------------------------------------------------------ main

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const toolVersions = tools();
  const cpus = proc.allowedCpus();
  if (cpus.length < 2) {
    console.error('error: needs 2 CPUs (server on one, load generator on the other); this process may use only ' + cpus.join(','));
    process.exit(1);
  }
  const pin = { server: cpus[0], load: cpus[1] };
  const allWorkloads = workloads(o);
  const ws = o.workloadIds ? allWorkloads.filter((w) => o.workloadIds.includes(w.id)) : allWorkloads;
  o.postFile = path.join(os.tmpdir(), `bench-post-${process.pid}.bin`);
  fs.writeFileSync(o.postFile, load.postBody(ECHO_BYTES));
  process.on('exit', () => fs.rmSync(o.postFile, { force: true }));

  const notes = [];
  // Open files for the idle workload (server and client each hold one per connection).
  const lim = proc.openFileLimits();
  const need = o.idleConnections + 1024;
  o.nofile = lim.soft >= need ? null : lim.hard >= need ? need : null;
  o.idleSkip = lim.hard < need ? `open-file limit (ulimit -Hn ${lim.hard}) is below the ${need} the idle workload needs; raise it (e.g. in /etc/security/limits.conf) or pass --idle ${lim.hard - 1024}` : null;
  if (o.idleSkip && ws.some((w) => w.id === 'idle')) console.error(`\n*** SKIPPING the idle workload: ${o.idleSkip}\n`);

  // Servers that can run here; the others are skipped loudly.
  const servers = [];
  const skipped = {};
  for (const def0 of SERVERS) {
    if (o.only && !o.only.includes(def0.id)) continue;
    const def = { ...def0 };
    let why = missingFor(def);
    if (!why && def.kind === 'limit') {
      const b = buildLimit();
      why = b.error || null;
      def.binary = b.binary;
    }
    if (!why) {
      // Start it once: a module that fails to load is skipped here, not in every run.
      try {
        const s = await startServer(def, pin.server);
        def.detail = s.detail;
        await stopServer(s.child);
        if (def.backend && s.detail.split(' ')[0] !== def.backend) why = `backend is "${s.detail}", asked for ${def.backend}`;
      } catch (err) {
        why = `failed to start: ${err.message.split('\n').slice(0, 3).join(' | ')}`;
      }
    }
    if (why) {
      skipped[def.id] = why;
      console.error(`\n*** SKIPPING ${def.name}: ${why}\n`);
    } else servers.push(def);
  }
  if (!servers.some((s) => s.id === 'node')) notes.push('node:http did not run: no ratios');

  const estimate = ws.length * servers.length * o.rounds * (o.duration + o.warmup + 0.6);
  console.error(
    `bench: ${servers.map((s) => s.id).join(', ')} × ${ws.map((w) => w.id).join(', ')}; ${o.rounds} round(s) of ${o.duration} s; ` +
      `server on CPU ${pin.server}, load on CPU ${pin.load}; ~${Math.round(estimate / 60)} min`,
  );

  const runs = [];
  for (const w of ws) {
    if (w.id === 'idle' && o.idleSkip) continue;
    for (let round = 1; round <= o.rounds; round++) {
      for (const def of servers) {
        if (def.workloads && !def.workloads.includes(w.id)) continue;
        process.stderr.write(`  ${w.label} / ${def.name} [${round}/${o.rounds}] … `);
        const t = Date.now();
        const m = await measureOnce(def, w, o, pin);
        m.wallSeconds = (Date.now() - t) / 1000;
        runs.push({ workload: w.id, server: def.id, round, ...m });
        if (w.tool === 'idle') {
          process.stderr.write(m.bytesPerConnection ? `${Math.round(m.bytesPerConnection)} B/connection` : '');
        } else if (m.rps) {
          process.stderr.write(`${Math.round(m.rps)} req/s, ${Math.round(m.reqPerCpuSec)} req/CPU-s, p99 ${m.latencyMs ? m.latencyMs.p99.toFixed(2) : '?'} ms`);
        }
        process.stderr.write(m.valid ? '\n' : `\n    *** INVALID: ${m.problems.join('; ')}\n`);
      }
    }
  }

  let profile = null;
  const tProfile = Date.now();
  if (o.profile) profile = await profileAll(servers, o, pin, startServer, stopServer);
  const profileSeconds = (Date.now() - tProfile) / 1000;

  const machine = {
    date: new Date(t0).toISOString(),
    host: os.hostname(),
    kernel: `${os.type()} ${os.release()} ${os.version()}`,
    arch: os.arch(),
    cpuModel: os.cpus()[0] ? os.cpus()[0].model.trim() : 'unknown',
    cpus: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    pinning: pin,
  };
  const versions = {
    node: process.version,
    syshttp: JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain', '--', 'lib', 'native']) ? true : false,
    fastify: packageVersion('fastify'),
    express: packageVersion('express'),
    ...toolVersions,
  };
  const result = {
    machine,
    versions,
    options: { quick: o.quick, rounds: o.rounds, duration: o.duration, warmup: o.warmup, latencyRate: o.latencyRate, latencySeconds: o.latencySeconds, idleConnections: o.idleConnections, profileRequests: o.profileRequests },
    servers: Object.fromEntries(SERVERS.filter((d) => !o.only || o.only.includes(d.id)).map((d) => [d.id, {
      name: d.name, script: d.script || 'bench/limit/limit.c', env: d.env,
      detail: (servers.find((s) => s.id === d.id) || {}).detail || null, skipped: skipped[d.id] || null,
    }])),
    workloads: ws.map((w) => ({ id: w.id, label: w.label, what: w.what, skipped: w.id === 'idle' ? o.idleSkip : null })),
    runs: runs.map(({ output, ...r }) => ({ ...r, output: r.valid ? undefined : output })),
    profile,
    notes,
    seconds: Math.round((Date.now() - t0) / 1000),
    profileSeconds,
  };
  result.summary = aggregate(result);
  result.valid = runs.every((r) => r.valid) && Object.keys(skipped).length === 0;

  const stamp = `${machine.date.slice(0, 10)}-${machine.host}${o.quick ? '-quick' : ''}`;
  fs.mkdirSync(o.out, { recursive: true });
  const write = (name, data) => {
    const file = path.join(o.out, name);
    fs.writeFileSync(`${file}.tmp`, data);
    fs.renameSync(`${file}.tmp`, file);
    return file;
  };
  write(`${stamp}.json`, JSON.stringify(result, null, 1) + '\n');
  const chart = svg(result);
  write(`${stamp}.svg`, chart);
  write('latest.svg', chart);
  write(`${stamp}.md`, markdown(result, `${stamp}.svg`, `${stamp}.json`));
  const md = markdown(result, 'latest.svg', `${stamp}.json`);
  write('latest.md', md);
  if (o.readme) updateReadme(path.join(ROOT, 'README.md'), result, stamp);
  process.stdout.write(`\n${md}`);
  console.error(`\nwrote ${path.relative(process.cwd(), o.out) || '.'}/${stamp}.{json,md,svg}, latest.md and latest.svg in ${result.seconds} s${o.readme ? '; README.md updated' : ''}`);
  if (!result.valid) console.error('*** some measurements are INVALID or servers were skipped (see above and the report); exit code 1');
  return result.valid ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err && err.stack ? err.stack : err);
    proc.killAll();
    process.exit(1);
  },
);
