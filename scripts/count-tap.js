// Counts test results from tap's per-file result files (.tap/test-results/*.tap) and
// prints the closing line "N passed, N failed, N skipped". Leaf test points count;
// a subtest's own summary line does not (its children were counted). Extra results
// can be given as name:exitStatus (e.g. fuzz:0). Exits 1 if anything failed or
// nothing ran.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const [dir = '.tap/test-results', ...extra] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

function walk(d) {
  if (!fs.existsSync(d)) return [];
  return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.tap') ? [path.join(d, e.name)] : [],
  );
}

const POINT = /^(\s*)(not )?ok \d+(?: - (.*?))?(?:\s+#\s*(SKIP|TODO)\b.*)?$/i;
for (const file of walk(dir)) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  let prevIndent = 0;
  let inYaml = false;
  const failedLevels = new Set();
  for (const line of lines) {
    if (line.trim() === '') continue;
    const indent = line.length - line.trimStart().length;
    if (inYaml) {
      if (line.trim() === '...') inYaml = false;
      continue;
    }
    if (line.trim() === '---') {
      inYaml = true;
      continue;
    }
    const m = POINT.exec(line);
    if (m) {
      const isSummary = prevIndent >= indent + 4;
      if (!isSummary) {
        if (m[4]) skipped++;
        else if (m[2]) {
          failed++;
          failedLevels.add(indent);
          failures.push(`${path.relative(dir, file)}: ${m[3] ?? ''}`);
        } else passed++;
      } else {
        // A failed subtest with no failed child counted (it threw, or timed out) still fails.
        const childFailed = [...failedLevels].some((l) => l > indent);
        for (const l of [...failedLevels]) if (l > indent) failedLevels.delete(l);
        if (m[2] && !m[4] && !childFailed) {
          failed++;
          failedLevels.add(indent);
          failures.push(`${path.relative(dir, file)}: ${m[3] ?? ''}`);
        } else if (childFailed) {
          failedLevels.add(indent);
        }
      }
    }
    prevIndent = indent;
  }
}

for (const item of extra) {
  const [name, status] = item.split(':');
  if (status === '0') passed++;
  else {
    failed++;
    failures.push(name);
  }
}

if (failures.length) console.log(`failed:\n  ${failures.join('\n  ')}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
