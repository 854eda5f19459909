// `npm test`: the whole suite, with the integration tests run once per Linux backend
// (io_uring, then epoll), each run's tap results kept apart under .tap/matrix/<backend>
// so that .ci/run can count them all. Exits non-zero if any run failed.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const tap = path.join(root, 'node_modules', '.bin', 'tap');
const matrix = path.join(root, '.tap', 'matrix');
fs.rmSync(matrix, { recursive: true, force: true });

const runs = [
  // Everything (C++ tests, unit tests, integration) on io_uring …
  { backend: 'io_uring', files: [] },
  // … and the integration suite again on epoll.
  { backend: 'epoll', files: ['test/integration'] },
];

let failed = false;
for (const run of runs) {
  process.stdout.write(`\n# ===== backend: ${run.backend} =====\n`);
  const results = path.join(root, '.tap', 'test-results');
  fs.rmSync(results, { recursive: true, force: true });
  const r = spawnSync(tap, [...run.files, ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SYSHTTP_BACKEND: run.backend },
  });
  if (r.status !== 0) failed = true;
  fs.mkdirSync(matrix, { recursive: true });
  if (fs.existsSync(results)) fs.renameSync(results, path.join(matrix, run.backend));
}
process.exit(failed ? 1 : 0);
