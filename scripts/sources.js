// Prints the C++ sources for one or more groups of native/sources.json, space separated,
// for binding.gyp's command expansion: node scripts/sources.js http linux addon
'use strict';
const path = require('node:path');
const list = require(path.join(__dirname, '..', 'native', 'sources.json'));
const groups = process.argv.slice(2);
const out = [];
for (const g of groups) {
  if (!Array.isArray(list[g])) {
    process.stderr.write(`scripts/sources.js: no source group "${g}" in native/sources.json\n`);
    process.exit(1);
  }
  out.push(...list[g]);
}
process.stdout.write(out.join(' ') + '\n');
