'use strict';
// The idle-connections workload: memory per idle keep-alive connection.
const path = require('node:path');
const proc = require('./proc');
const load = require('./loadgen');

const CLIENT = path.join(__dirname, 'idle-client.js');

function lines(child, onLine) {
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl).trim());
      buf = buf.slice(nl + 1);
    }
  });
}

// Warms the server up (a short wrk run), reads its RSS, opens the idle connections from
// the load CPU, waits until every one has had its response, lets things settle, reads the
// RSS again. bytesPerConnection = (RSS after − RSS before) ÷ connections still open.
async function idle(server, spec, o, pin) {
  const problems = [];
  const pid = server.child.pid;
  await load.h2load(pin.load, { ...spec, connections: 16 }, Math.max(0.3, Math.min(o.warmup, 1)), { log: false });
  await proc.sleep(300);
  const before = proc.memory(pid);
  const cpu0 = proc.cpuSeconds(pid);
  const t0 = Date.now();
  const client = proc.start(pin.load, [process.execPath, CLIENT, String(server.port), String(spec.connections), '64'], { nofile: o.nofile });
  let stderr = '';
  client.stderr.setEncoding('utf8').on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const waiters = [];
  lines(client, (line) => {
    const w = waiters.shift();
    if (w) w(line);
  });
  const next = (ms) =>
    new Promise((resolve) => {
      const t = setTimeout(() => resolve(`timeout after ${ms / 1000} s`), ms);
      waiters.push((line) => {
        clearTimeout(t);
        resolve(line);
      });
    });
  const out = { connections: 0, rssBeforeKb: before.rssKb, rssAfterKb: null, bytesPerConnection: null };
  try {
    const ready = await next(120000);
    out.openSeconds = (Date.now() - t0) / 1000;
    out.openCpuSeconds = proc.cpuSeconds(pid) - cpu0;
    if (!ready.startsWith('ready')) {
      problems.push(`idle client: ${ready}${stderr ? ` (${stderr.trim().slice(-300)})` : ''}`);
      return { problems, ...out };
    }
    await proc.sleep(o.quick ? 300 : 1000);
    client.stdin.write('check\n');
    const check = await next(10000);
    const after = proc.memory(pid);
    const m = /^open (\d+)/.exec(check);
    out.connections = m ? Number(m[1]) : 0;
    out.rssAfterKb = after.rssKb;
    if (out.connections < spec.connections) problems.push(`only ${out.connections} of ${spec.connections} connections still open (${check})`);
    if (out.connections > 0) out.bytesPerConnection = ((after.rssKb - before.rssKb) * 1024) / out.connections;
    return { problems, ...out };
  } finally {
    client.stdin.end();
    const exited = new Promise((r) => client.once('exit', r));
    setTimeout(() => proc.alive(client) && client.kill('SIGKILL'), 5000).unref();
    if (proc.alive(client)) await exited;
  }
}

module.exports = { idle };
