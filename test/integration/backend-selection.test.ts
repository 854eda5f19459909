// Backend choice: auto falls back to epoll when io_uring cannot be set up, and says why;
// a forced backend that cannot run is a typed error. io_uring is blocked in a child
// process through the documented test switch SYSHTTP_TEST_IOURING_FAIL=1.
import t from 'tap';
import { execFile } from 'node:child_process';
import * as path from 'node:path';

const entry = path.resolve(__dirname, '../../dist/index.js');
const program = (backend: string): string => `
  const { createServer } = require(${JSON.stringify(entry)});
  const server = createServer({ backend: ${JSON.stringify(backend)} }, (ctx) => ctx.response.end('served by ' + server.backend));
  server.listen({ port: 0, host: '127.0.0.1' }).then(
    async ({ port }) => {
      const text = await (await fetch('http://127.0.0.1:' + port + '/')).text();
      console.log(JSON.stringify({ text, info: server.backendInfo }));
      await server.stop({ timeout: 1000 });
    },
    (err) => console.log(JSON.stringify({ code: err.code, message: err.message })),
  );
`;

function run(backend: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', program(backend)],
      { env: { ...process.env, SYSHTTP_BACKEND: '', ...env }, timeout: 20_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))),
    );
  });
}

t.test('auto uses io_uring where the kernel allows it', async (t) => {
  const r = (await run('auto', {})) as { text: string; info: { name: string; detail: string } };
  t.equal(r.text, 'served by io_uring');
  t.match(r.info.detail, /^io_uring/);
});

t.test('io_uring blocked: auto still serves, on epoll, and says why', async (t) => {
  const r = (await run('auto', { SYSHTTP_TEST_IOURING_FAIL: '1' })) as {
    text: string;
    info: { name: string; fallbackReason: string };
  };
  t.equal(r.text, 'served by epoll');
  t.equal(r.info.name, 'epoll');
  t.match(r.info.fallbackReason, /SYSHTTP_TEST_IOURING_FAIL/);
});

t.test('io_uring forced but blocked: a typed error that says why', async (t) => {
  const r = (await run('io_uring', { SYSHTTP_TEST_IOURING_FAIL: '1' })) as { code: string; message: string };
  t.equal(r.code, 'SYSHTTP_ERR_BACKEND_UNAVAILABLE');
  t.match(r.message, /io_uring is not available: .*SYSHTTP_TEST_IOURING_FAIL/);
});

t.test('SYSHTTP_BACKEND=epoll forces epoll', async (t) => {
  const r = (await run('auto', {})) as { text: string };
  t.ok(r.text);
  const forced = (await new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['-e', program('auto').replace('{ backend: "auto" }', '{}')],
      { env: { ...process.env, SYSHTTP_BACKEND: 'epoll' }, timeout: 20_000 },
      (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))),
    ),
  )) as { text: string };
  t.equal(forced.text, 'served by epoll');
});
