'use strict';
// Processes for bench/bench.js: pinned spawning, /proc readers, tool discovery.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');

const children = new Set();

function alive(child) {
  return child.exitCode === null && child.signalCode === null;
}

function killAll() {
  for (const child of children) if (alive(child)) try { child.kill('SIGKILL'); } catch { /* gone */ }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stderr.write(`\n${sig}: stopping servers and load generators\n`);
    killAll();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

// The command line for `argv` pinned to `cpu` (null: not pinned), with the soft limit on
// open files raised to `nofile` first when asked (through sh's ulimit, so the process
// keeps its pid: `exec`).
function pinned(cpu, argv, nofile) {
  let cmd = cpu === null ? argv : ['taskset', '-c', String(cpu), ...argv];
  if (nofile) cmd = ['sh', '-c', `ulimit -n ${nofile} && exec "$@"`, 'sh', ...cmd];
  return cmd;
}

function start(cpu, argv, { env, nofile, stdio } = {}) {
  const cmd = pinned(cpu, argv, nofile);
  const child = spawn(cmd[0], cmd.slice(1), { env: { ...process.env, ...env }, stdio: stdio || ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

// Runs to completion; resolves { code, stdout, stderr }.
function run(cpu, argv, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = start(cpu, argv, opts);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr = (stderr + d).slice(-20000); });
    child.stdin.end();
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : null;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: signal ? `signal ${signal}` : code, stdout, stderr });
    });
  });
}

function version(cmd, args, re) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return null;
  const out = `${r.stdout || ''}${r.stderr || ''}`;
  const m = re ? re.exec(out) : null;
  return (m ? m[1] : out.split('\n')[0]).trim();
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
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return expandCpuList(m[1]);
  } catch { /* not Linux */ }
  return os.cpus().map((_, i) => i);
}

const TICKS = (() => {
  const n = Number(version('getconf', ['CLK_TCK']) || '');
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

// utime + stime (all threads) of a process, in seconds: /proc/<pid>/stat fields 14 and 15.
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[14 - 3]) + Number(rest[15 - 3])) / TICKS;
}

// VmRSS and VmHWM (peak RSS) in KiB.
function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => {
    const m = new RegExp(`^${k}:\\s*(\\d+)\\s*kB`, 'm').exec(status);
    return m ? Number(m[1]) : null;
  };
  return { rssKb: kb('VmRSS'), peakRssKb: kb('VmHWM') };
}

function openFileLimits() {
  const r = spawnSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' });
  const [soft, hard] = (r.stdout || '').trim().split('\n').map((x) => (x === 'unlimited' ? Infinity : Number(x)));
  return { soft, hard };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { alive, start, run, version, allowedCpus, cpuSeconds, memory, openFileLimits, sleep, TICKS, killAll };
