// `npm run build:windows`: cross-builds the win32-x64 syshttp.node on Linux with
// mingw-w64 through cmake-js (cmake/windows/CMakeLists.txt enters the repository's
// CMakeLists.txt with the toolchain file cmake/mingw-w64-x86_64.cmake). Output:
// build-windows/Release/syshttp.node. Then lists the DLLs it imports and fails if any
// is not one we expect, so a dependency on a DLL Windows (or Wine) lacks cannot slip in.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'build-windows');
const cmakeJs = path.join(root, 'node_modules', '.bin', 'cmake-js');
const toolchain = path.join(root, 'cmake', 'mingw-w64-x86_64.cmake');
// The only DLLs the addon may import (README, Windows).
const ALLOWED = new Set(['node.exe', 'httpapi.dll', 'kernel32.dll', 'msvcrt.dll']);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run(cmakeJs, [
  'build',
  '--directory', path.join(root, 'cmake', 'windows'),
  '--out', out,
  '--arch', 'x64',
  `--CDCMAKE_TOOLCHAIN_FILE=${toolchain}`,
  '--CDCMAKE_BUILD_TYPE=Release',
  ...process.argv.slice(2),
]);

const addon = path.join(out, 'Release', 'syshttp.node');
if (!fs.existsSync(addon)) {
  console.error(`build:windows: ${addon} was not produced`);
  process.exit(1);
}
const dump = spawnSync('x86_64-w64-mingw32-objdump', ['-p', addon], { encoding: 'utf8' });
if (dump.status !== 0) {
  console.error('build:windows: x86_64-w64-mingw32-objdump failed:', dump.stderr);
  process.exit(1);
}
const dlls = [...dump.stdout.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]);
const unexpected = dlls.filter((d) => !ALLOWED.has(d.toLowerCase()));
console.log(`build:windows: ${path.relative(root, addon)} imports ${dlls.join(', ')}`);
if (unexpected.length > 0) {
  console.error(`build:windows: unexpected DLL imports: ${unexpected.join(', ')}`);
  process.exit(1);
}
