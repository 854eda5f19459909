'use strict';
// Medians, ratios to node:http, the markdown report, the SVG chart and README's table.
const fs = require('node:fs');

function stats(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return { median: v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2, min: v[0], max: v[v.length - 1], n: v.length };
}

// The one "higher is better" figure per workload, relative to node:http, that the chart
// and the summary table show: req/CPU-s for the throughput workloads, p99 latency for the
// fixed-rate one (node ÷ server), memory per connection for the idle one (node ÷ server).
const HEADLINE = {
  idle: { metric: 'bytesPerConnection', lowerIsBetter: true, label: 'memory/connection' },
  latency: { metric: 'p99', lowerIsBetter: true, label: 'p99 latency' },
};
const headlineOf = (w) => HEADLINE[w] || { metric: 'reqPerCpuSec', lowerIsBetter: false, label: 'req/CPU-s' };

function aggregate(result) {
  const summary = {};
  for (const w of result.workloads) {
    const per = (summary[w.id] = {});
    for (const id of Object.keys(result.servers)) {
      const runs = result.runs.filter((r) => r.workload === w.id && r.server === id);
      if (!runs.length) continue;
      const pick = (f) => stats(runs.filter((r) => r.valid).map(f));
      per[id] = {
        runs: runs.length,
        valid: runs.every((r) => r.valid),
        problems: [...new Set(runs.flatMap((r) => r.problems))],
        rps: pick((r) => r.rps),
        reqPerCpuSec: pick((r) => r.reqPerCpuSec),
        cpuShare: pick((r) => r.cpuShare),
        p50: pick((r) => r.latencyMs && r.latencyMs.p50),
        p99: pick((r) => r.latencyMs && r.latencyMs.p99),
        p999: pick((r) => r.latencyMs && r.latencyMs.p999),
        peakRssKb: pick((r) => r.peakRssKb),
        bytesPerConnection: pick((r) => r.bytesPerConnection),
        errors: runs.reduce((a, r) => a + Object.values(r.errors || {}).reduce((x, y) => x + y, 0), 0),
        non2xx: runs.reduce((a, r) => a + (r.non2xx || 0), 0),
      };
    }
    const node = per.node;
    for (const [id, s] of Object.entries(per)) {
      s.ratio = {};
      for (const k of ['rps', 'reqPerCpuSec', 'p50', 'p99', 'p999', 'peakRssKb', 'bytesPerConnection']) {
        s.ratio[k] = node && node[k] && s[k] && node[k].median ? s[k].median / node[k].median : null;
      }
      const h = headlineOf(w.id);
      const r = s.ratio[h.metric];
      s.headline = r ? (h.lowerIsBetter ? 1 / r : r) : null;
    }
  }
  return summary;
}

// ------------------------------------------------------------------ markdown

const int = (x) => (x === null || x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
const ms = (x) => (x === null || x === undefined ? '—' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const ratio = (x) => (x === null || x === undefined ? '—' : `${x.toFixed(2)}×`);
function range(s, f = int) {
  if (!s) return '—';
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}

function machineLines(result) {
  const { machine: m, versions: v, options: o } = result;
  return [
    `- ${m.date} on \`${m.host}\`: ${m.cpuModel}, ${m.cpus} CPUs, ${m.memoryGiB} GiB; ${m.kernel}; load average at start ${m.loadavgAtStart.join(' ')}`,
    `- node ${v.node}, syshttp ${v.syshttp} (${v.commit}${v.dirty ? ', lib/ or native/ with uncommitted changes' : ''}), fastify ${v.fastify}, Express ${v.express}; ${v.wrk}, h2load ${v.h2load}`,
    `- server pinned to CPU ${m.pinning.server}, load generator to CPU ${m.pinning.load} (taskset); a fresh server process per measurement; ` +
      `${o.rounds} round(s), servers interleaved; ${o.duration} s per run after ${o.warmup} s warm-up${o.quick ? ' (**--quick**: short runs, noisy)' : ''}; ` +
      `${o.rounds > 1 ? 'median (min–max)' : 'one run each'}`,
  ];
}

function markdown(result, chartFile, jsonFile) {
  const names = Object.fromEntries(Object.entries(result.servers).map(([id, s]) => [id, s.name]));
  const ids = Object.keys(result.servers).filter((id) => !result.servers[id].skipped);
  const L = [`# syshttp benchmarks${result.options.quick ? ' (quick run)' : ''}`, '', ...machineLines(result), '', `![ratios to node:http](${chartFile})`, ''];
  L.push('## Summary — each server against node:http, higher is better', '');
  L.push('req/CPU-s (requests per second of server CPU time) for the throughput workloads; node ÷ server for p99 latency and memory per idle connection. ⚠ = a run was invalid.', '');
  const ws = result.workloads.filter((w) => result.summary[w.id] && Object.keys(result.summary[w.id]).length);
  L.push(`| server | ${ws.map((w) => w.label).join(' | ')} |`);
  L.push(`|---|${ws.map(() => '---:').join('|')}|`);
  for (const id of ids) {
    const cells = ws.map((w) => {
      const s = result.summary[w.id][id];
      if (!s) return 'n/a';
      return `${s.headline === null ? '—' : `**${ratio(s.headline)}**`}${s.valid ? '' : ' ⚠'}`;
    });
    L.push(`| ${names[id]} | ${cells.join(' | ')} |`);
  }
  L.push('');

  for (const w of ws) {
    const sum = result.summary[w.id];
    L.push(`## ${w.label}`, '', w.what, '');
    if (w.id === 'idle') {
      L.push('| server | bytes/connection | × node:http | peak RSS MiB | valid |', '|---|---:|---:|---:|---|');
      for (const id of ids) {
        const s = sum[id];
        if (!s) continue;
        L.push(`| ${names[id]} | ${range(s.bytesPerConnection)} | ${ratio(s.ratio.bytesPerConnection)} | ${range(s.peakRssKb, (x) => (x / 1024).toFixed(0))} | ${s.valid ? 'yes' : `⚠ ${s.problems.join('; ')}`} |`);
      }
    } else {
      L.push(
        '| server | req/s | req/CPU-s | req/s × node | req/CPU-s × node | server CPU | p50 ms | p99 ms | p99.9 ms | peak RSS MiB | errors |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
      );
      for (const id of ids) {
        const s = sum[id];
        if (!s) continue;
        L.push(
          `| ${names[id]} | ${range(s.rps)} | ${range(s.reqPerCpuSec)} | ${ratio(s.ratio.rps)} | ${ratio(s.ratio.reqPerCpuSec)} | ` +
            `${s.cpuShare ? `${Math.round(s.cpuShare.median * 100)} %` : '—'} | ${range(s.p50, ms)} | ${range(s.p99, ms)} | ${range(s.p999, ms)} | ` +
            `${range(s.peakRssKb, (x) => (x / 1024).toFixed(0))} | ${s.valid ? 'none' : `⚠ ${s.problems.join('; ')}`} |`,
        );
      }
    }
    L.push('');
  }

  if (result.profile) {
    const p = result.profile;
    L.push('## Per-request cost', '');
    L.push(
      `${p.requests.toLocaleString('en-US')} requests per route (h2load, ${p.connections} connections) against a server started with ` +
        '`bench/suite/profile-preload.js`: V8 heap bytes allocated per request (heap growth + what GCs freed, from `v8.GCProfiler`; ' +
        'Buffers outside the heap not counted), JS→native calls on the NativeServer handle per request, native→JS batch callbacks per request.',
      '',
    );
    L.push('| server | route | heap B/request | native calls/request | batches/request | calls by name |', '|---|---|---:|---:|---:|---|');
    for (const [id, routes] of Object.entries(p.servers)) {
      if (routes.error) {
        L.push(`| ${names[id]} | — | ⚠ ${routes.error.split('\n')[0]} | | | |`);
        continue;
      }
      for (const [route, x] of Object.entries(routes)) {
        const by = x.nativeCallsByName ? Object.entries(x.nativeCallsByName).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ') : '—';
        L.push(
          `| ${names[id]} | ${route} | ${int(x.heapBytesPerRequest)} | ${x.nativeCallsPerRequest === null ? '—' : x.nativeCallsPerRequest.toFixed(3)} | ` +
            `${x.batchCallbacksPerRequest === null ? '—' : x.batchCallbacksPerRequest.toFixed(3)} | ${by}${x.problems.length ? ` ⚠ ${x.problems.join('; ')}` : ''} |`,
        );
      }
    }
    L.push('');
  }

  L.push('## Servers', '', '| server | started as | backend | plaintext response head |', '|---|---|---|---|');
  for (const [id, s] of Object.entries(result.servers)) {
    const probeRun = result.runs.find((r) => r.server === id && r.workload === 'plaintext' && r.probe) || result.runs.find((r) => r.server === id && r.probe);
    const env = Object.entries(s.env || {}).filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`).join(' ');
    L.push(
      `| ${s.name} | \`${env ? `${env} ` : ''}${s.script}\` | ${s.skipped ? `**SKIPPED**: ${s.skipped}` : s.detail || '—'} | ` +
        `${probeRun ? `${probeRun.probe.headerBytes} B: ${probeRun.probe.headers.join(', ')}` : '—'} |`,
    );
  }
  L.push('');
  for (const n of result.notes) L.push(`- note: ${n}`);
  L.push(`- Raw runs, machine and versions: [${jsonFile}](${jsonFile}). How each figure is measured: [bench/README.md](../README.md).`);
  return L.join('\n') + '\n';
}

// ------------------------------------------------------------------ SVG chart

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// Grouped horizontal bars on a log2 axis: one group per workload, one bar per server,
// the headline ratio to node:http (1 = node:http, drawn as a line).
function svg(result) {
  const ids = Object.keys(result.servers).filter((id) => id !== 'node' && !result.servers[id].skipped);
  const ws = result.workloads.filter((w) => result.summary[w.id] && result.summary[w.id].node);
  const values = ws.flatMap((w) => ids.map((id) => (result.summary[w.id][id] || {}).headline).filter((x) => x > 0));
  let lo = Math.min(0.5, ...values.map((v) => 2 ** Math.floor(Math.log2(v))));
  let hi = Math.max(2, ...values.map((v) => 2 ** Math.ceil(Math.log2(v))));
  lo = Math.max(lo, 1 / 64);
  hi = Math.min(hi, 256);
  const bar = 13;
  const groupGap = 16;
  const left = 190;
  const width = 860;
  const plotW = width - left - 70;
  const top = 84;
  const groupH = ids.length * bar + groupGap;
  const legendH = Math.ceil(ids.length / 3) * 18 + 10;
  const height = top + ws.length * groupH + 30 + legendH;
  const x = (v) => left + ((Math.log2(Math.min(Math.max(v, lo), hi)) - Math.log2(lo)) / (Math.log2(hi) - Math.log2(lo))) * plotW;
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  o.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  o.push(`<text x="${left}" y="20" font-size="15" font-weight="bold">syshttp and peers against node:http (higher is better)</text>`);
  o.push(`<text x="${left}" y="37" fill="#555">req/CPU-s for the throughput workloads; node ÷ server for p99 latency and memory per connection</text>`);
  o.push(
    `<text x="${left}" y="53" fill="#555">${esc(`${result.machine.host}, ${result.machine.date.slice(0, 10)}, node ${result.versions.node}, ` +
      `${result.options.rounds} round(s) × ${result.options.duration} s${result.options.rounds > 1 ? ', medians' : ''}${result.options.quick ? ' (--quick: noisy)' : ''}`)}</text>`,
  );
  for (let g = lo; g <= hi + 1e-9; g *= 2) {
    const gx = x(g).toFixed(1);
    o.push(`<line x1="${gx}" y1="${top - 8}" x2="${gx}" y2="${top + ws.length * groupH}" stroke="${g === 1 ? '#000' : '#ddd'}" stroke-width="${g === 1 ? 1.5 : 1}"/>`);
    o.push(`<text x="${gx}" y="${top - 12}" text-anchor="middle" fill="#555">${g >= 1 ? g : `1/${1 / g}`}×</text>`);
  }
  ws.forEach((w, wi) => {
    const gy = top + wi * groupH;
    const h = headlineOf(w.id);
    o.push(`<text x="${left - 8}" y="${gy + (ids.length * bar) / 2}" text-anchor="end" font-weight="bold">${esc(w.label)}</text>`);
    o.push(`<text x="${left - 8}" y="${gy + (ids.length * bar) / 2 + 14}" text-anchor="end" fill="#777" font-size="10">${esc(h.label)}</text>`);
    ids.forEach((id, si) => {
      const s = result.summary[w.id][id];
      const y = gy + si * bar;
      if (!s || !s.headline) {
        if (s) o.push(`<text x="${left + 4}" y="${y + bar - 3}" fill="#c00" font-size="10">invalid</text>`);
        return;
      }
      const x0 = x(1);
      const x1 = x(s.headline);
      o.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 1}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${bar - 2}" fill="${COLORS[si % COLORS.length]}"${s.valid ? '' : ' fill-opacity="0.35"'}/>`);
      // The value at the bar's outer end (left of a bar below 1×, when there is room).
      const label = `${s.headline.toFixed(2)}×${s.valid ? '' : ' ⚠'}`;
      if (x1 < x0 && x1 - 4 > left + 36) o.push(`<text x="${(x1 - 4).toFixed(1)}" y="${y + bar - 3}" font-size="10" text-anchor="end">${label}</text>`);
      else o.push(`<text x="${(Math.max(x0, x1) + 4).toFixed(1)}" y="${y + bar - 3}" font-size="10">${label}</text>`);
    });
  });
  const ly = top + ws.length * groupH + 20;
  ids.forEach((id, si) => {
    const lx = left + (si % 3) * 210;
    const yy = ly + Math.floor(si / 3) * 18;
    o.push(`<rect x="${lx}" y="${yy - 10}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/>`);
    o.push(`<text x="${lx + 17}" y="${yy}">${esc(result.servers[id].name)}</text>`);
  });
  o.push('</svg>');
  return o.join('\n') + '\n';
}

// ------------------------------------------------------------------ README

const START = '<!-- bench:start (written by npm run bench) -->';
const END = '<!-- bench:end -->';

function updateReadme(file, result, stamp) {
  const text = fs.readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) {
    console.error(`note: ${file} has no ${START} … ${END} block; not updated`);
    return;
  }
  const md = markdown(result, 'bench/results/latest.svg', `bench/results/${stamp}.json`);
  // The chart and the summary table, with the machine they came from.
  const lines = md.split('\n');
  const from = lines.findIndex((l) => l.startsWith('## Summary'));
  const to = lines.findIndex((l, i) => i > from + 2 && l === '' && lines[i - 1].startsWith('|'));
  const body = [
    ...machineLines(result),
    '',
    '![ratios to node:http](bench/results/latest.svg)',
    '',
    ...lines.slice(from + 2, to),
    '',
    `Full tables (req/s, req/CPU-s, latency percentiles, peak RSS, errors, per-request allocations and native calls): ` +
      `[bench/results/${stamp}.md](bench/results/${stamp}.md).`,
  ];
  fs.writeFileSync(file, text.slice(0, a + START.length) + '\n' + body.join('\n') + '\n' + text.slice(b));
}

module.exports = { aggregate, markdown, svg, updateReadme };
