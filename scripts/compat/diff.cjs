'use strict';
// node diff.cjs <plain-dir> <swap-dir>: the tests that pass on node:http and fail (or never
// report, as in a file that hangs) with syshttp swapped in. Reads reporter.mjs output.
const fs = require('node:fs');
const path = require('node:path');
function load(dir) {
  const tests = new Map();
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      const t = JSON.parse(line);
      tests.set(`${path.basename(t.file || f)} :: ${t.name}`, t);
    }
  }
  return tests;
}
const [plain, swap] = process.argv.slice(2).map(load);
const count = (m, s) => [...m.values()].filter((t) => t.status === s).length;
console.log(`node:http: ${count(plain, 'pass')} pass, ${count(plain, 'fail')} fail`);
console.log(`syshttp:   ${count(swap, 'pass')} pass, ${count(swap, 'fail')} fail`);
let lost = 0;
for (const [key, t] of plain) {
  if (t.status !== 'pass') continue;
  const s = swap.get(key);
  if (s && s.status === 'pass') continue;
  lost++;
  console.log(`- ${key}\n    ${s ? s.err : 'not reported (the file hung or crashed)'}`);
}
console.log(`${lost} pass on node:http only`);
process.exitCode = lost === 0 ? 0 : 1;
