// API edge cases an app hits: reads and writes around the end of a response, misuse
// answered with typed errors, restarting after stop, path normalisation.
import t from 'tap';
import { buildRequest, openRaw, sleep, startServer, waitFor, type Ctx } from '../helpers/server';
import { createServer, HttpResponseCacheFeature } from '../../dist/index.js';

t.test('reading the body after the response completed fails instead of hanging', async (t) => {
  let outcome: unknown = 'pending';
  const { port } = await startServer(t, async (ctx: Ctx) => {
    await ctx.response.end('early');
    outcome = await ctx.request.text().then(
      () => 'resolved',
      (err: { code?: string }) => err.code,
    );
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({ method: 'POST', headers: [['Content-Length', 10]], body: 'abcde' }));
  t.equal((await c.readResponse()).body.toString(), 'early');
  await waitFor(() => outcome !== 'pending', 5000, 'text() settles');
  t.equal(outcome, 'SYSHTTP_ERR_BODY_UNAVAILABLE');
});

t.test('a write waiting for drain is settled by end()', async (t) => {
  let settled = false;
  const { port } = await startServer(t, async (ctx: Ctx) => {
    const pending = ctx.response.write(Buffer.alloc(4 * 1024 * 1024));
    await ctx.response.end();
    await pending;
    settled = true;
  });
  const c = await openRaw(t, port);
  c.socket.pause();
  await c.write(buildRequest());
  await waitFor(() => settled, 5000, 'the earlier write settled');
  t.ok(settled);
});

t.test('misuse gives typed errors', async (t) => {
  const seen: Record<string, unknown> = {};
  const { port } = await startServer(t, async (ctx: Ctx) => {
    try {
      ctx.response.headers.set('content-length', 'abc');
    } catch (err) {
      seen.contentLength = (err as { code: string }).code;
    }
    seen.writeNumber = await ctx.response.write(123 as never).then(
      () => 'resolved',
      (err: { code: string }) => err.code,
    );
    await ctx.response.end('x');
    seen.endAfterEnd = await ctx.response.end('more').then(
      () => 'resolved',
      (err: { code: string }) => err.code,
    );
    try {
      ctx.response.onCompleted(() => {});
      await sleep(0);
      ctx.response.onCompleted(() => {});
    } catch (err) {
      seen.onCompleted = (err as { code: string }).code;
    }
  });
  await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
  await waitFor(() => 'onCompleted' in seen, 5000, 'handler done');
  t.same(seen, {
    contentLength: 'SYSHTTP_ERR_INVALID_HEADER',
    writeNumber: 'SYSHTTP_ERR_INVALID_ARG',
    endAfterEnd: 'SYSHTTP_ERR_RESPONSE_ENDED',
    onCompleted: 'SYSHTTP_ERR_RESPONSE_ENDED',
  });
});

t.test('the body can be read once; malformed JSON is a 400', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    if (ctx.request.path === '/twice') {
      await ctx.request.text();
      const second = await ctx.request.text().then(
        () => 'resolved',
        (err: { code: string }) => err.code,
      );
      await ctx.response.end(second);
      return;
    }
    await ctx.response.end(JSON.stringify(await ctx.request.json()));
  });
  const twice = await fetch(`http://127.0.0.1:${port}/twice`, { method: 'POST', body: 'x' });
  t.equal(await twice.text(), 'SYSHTTP_ERR_BODY_STARTED');
  const bad = await fetch(`http://127.0.0.1:${port}/json`, { method: 'POST', body: '{nope' });
  t.equal(bad.status, 400);
  const good = await fetch(`http://127.0.0.1:${port}/json`, { method: 'POST', body: '{"a":1}' });
  t.equal(await good.text(), '{"a":1}');
});

t.test('ctx.abort() after the response completed does not hurt the next request', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    await ctx.response.end(`done ${ctx.request.path}`);
    ctx.abort();
  });
  const c = await openRaw(t, port);
  await c.write(Buffer.concat([buildRequest({ target: '/1' }), buildRequest({ target: '/2' })]));
  const [a, b] = await c.readResponses(2);
  t.equal(a.body.toString(), 'done /1');
  t.equal(b.body.toString(), 'done /2');
});

t.test('writes made while async onStarting callbacks run keep their order', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    ctx.response.onStarting(async () => {
      await sleep(20);
      ctx.response.headers.set('x-started', 'late');
    });
    const a = ctx.response.write('A');
    const b = ctx.response.write('B');
    await Promise.all([a, b, ctx.response.end('C')]);
  });
  const r = await fetch(`http://127.0.0.1:${port}/`);
  t.equal(r.headers.get('x-started'), 'late');
  t.equal(await r.text(), 'ABC');
});

t.test('a stopped server can listen again', async (t) => {
  const server = createServer((ctx) => ctx.response.end('again'));
  await server.listen({ port: 0, host: '127.0.0.1' });
  await server.stop({ timeout: 1000 });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => server.stop({ timeout: 1000 }));
  t.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'again');
});

t.test('paths are percent-decoded (not %2F or %00) and dot segments removed', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => ctx.response.end(ctx.request.path));
  const cases: Array<[string, string]> = [
    ['/a%20b', '/a b'],
    ['/a%2Fb', '/a%2Fb'],
    ['/a/%2e%2e/b', '/b'],
    ['/a/./b/../c', '/a/c'],
    ['/x%00y', '/x%00y'],
    ['/%C3%A9%FF', '/é%FF'],
    ['/%E2%82%AC', '/€'],
  ];
  for (const [target, want] of cases) {
    const c = await openRaw(t, port);
    await c.write(buildRequest({ target }));
    t.equal((await c.readResponse()).body.toString(), want, target);
    c.destroy();
  }
});

t.test('HttpResponseCacheFeature is HTTP.sys only: undefined on the Linux backends', async (t) => {
  let feature: unknown = null;
  const { url } = await startServer(t, async (ctx: Ctx) => {
    feature = ctx.features.get(HttpResponseCacheFeature);
    await ctx.response.end('ok');
  });
  const r = await fetch(url);
  t.equal(await r.text(), 'ok');
  t.equal(feature, undefined);
});

t.test('unref(): a listening server no longer keeps the process alive; ref() does again', async (t) => {
  const { spawn } = await import('node:child_process');
  const path = await import('node:path');
  const dist = path.resolve(__dirname, '../../dist');
  const run = (code: string, waitMs: number): Promise<'exited' | 'alive'> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore', env: { ...process.env } });
      const timer = setTimeout(() => {
        child.kill();
        resolve('alive');
      }, waitMs);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve('exited');
      });
    });
  const core = `const { createServer } = require(${JSON.stringify(dist)});`;
  t.equal(await run(`${core} const s = createServer(() => {}); s.listen({ port: 0, host: '127.0.0.1' }).then(() => s.unref());`, 5000), 'exited', 'core server, unref() after listen');
  t.equal(await run(`${core} const s = createServer(() => {}); s.unref(); s.listen({ port: 0, host: '127.0.0.1' });`, 5000), 'exited', 'core server, unref() before listen');
  t.equal(await run(`${core} const s = createServer(() => {}); s.unref(); s.listen({ port: 0, host: '127.0.0.1' }).then(() => s.ref());`, 1500), 'alive', 'ref() after unref() keeps it alive');
  const node = `const { createServer } = require(${JSON.stringify(dist + '/node')});`;
  t.equal(await run(`${node} const s = createServer(() => {}); s.listen(0, '127.0.0.1', () => s.unref());`, 5000), 'exited', 'syshttp/node server, unref()');
  t.equal(await run(`${node} const s = createServer(() => {}); s.listen(0, '127.0.0.1');`, 1500), 'alive', 'syshttp/node server, by default');
});

t.test('an unref()ed server keeps the process alive while it holds a connection (as node:http\'s accepted sockets do), then exits cleanly', async (t) => {
  // The connection's close lets the loop end; at the exit the loop runs once more to close
  // handles, when JS cannot run, and no event may be pushed at it (it was a fatal error).
  const { spawn } = await import('node:child_process');
  const path = await import('node:path');
  const dist = path.resolve(__dirname, '../../dist');
  const run = (code: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }> =>
    new Promise((resolve) => {
      const started = Date.now();
      const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill(), 10_000);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
      });
    });
  // The client (unref()ed: only the server's connection can keep the process) ends its
  // side 500 ms after the answer; the process must still be there to print 'still here'.
  const client = (address: string): string => `
    const c = require('node:net').connect(${address}.port, '127.0.0.1', () => c.write('GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'));
    c.once('data', () => { c.unref(); setTimeout(() => { console.log('still here'); c.end(); }, 500).unref(); });
    const poke = setInterval(() => {}, 100); c.once('data', () => clearInterval(poke));`;
  const node = `const s = require(${JSON.stringify(dist + '/node')}).createServer((req, res) => res.end('ok'));
    s.listen(0, '127.0.0.1', () => { s.unref(); ${client('s.address()')} });`;
  const core = `const s = require(${JSON.stringify(dist)}).createServer((ctx) => ctx.response.end('ok'));
    s.listen({ port: 0, host: '127.0.0.1' }).then((a) => { s.unref(); ${client('a')} });`;
  for (const [name, code] of [['syshttp/node', node], ['core', core]] as const) {
    const r = await run(code);
    t.same({ code: r.code, signal: r.signal }, { code: 0, signal: null }, `${name}: exit code 0 ${r.stderr.slice(0, 300)}`);
    t.equal(r.stdout.trim(), 'still here', `${name}: alive while the connection was open`);
    t.ok(r.ms < 5000, `${name}: exited once it closed (${r.ms} ms)`);
  }
  // socket.unref(), as node:net's: that connection no longer keeps the process.
  const unrefed = `const s = require(${JSON.stringify(dist + '/node')}).createServer((req, res) => { req.socket.unref(); res.end('ok'); });
    s.listen(0, '127.0.0.1', () => { s.unref(); ${client('s.address()')} });`;
  const r = await run(unrefed);
  t.same({ code: r.code, signal: r.signal }, { code: 0, signal: null }, `socket.unref(): exit code 0 ${r.stderr.slice(0, 300)}`);
  t.equal(r.stdout.trim(), '', 'socket.unref(): the process exits with the connection open');
});

t.test('listen({ path }): a Unix socket, served; the file is refused if present and removed at stop', async (t) => {
  const { mkdtempSync, existsSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { Agent, request } = await import('undici');
  const dir = mkdtempSync(join(tmpdir(), 'syshttp-unix-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 's.sock');

  let seen: { remoteAddress: string; localAddress: string; remotePort: number } | null = null;
  const server = createServer((ctx: Ctx) => {
    seen = { remoteAddress: ctx.connection.remoteAddress, localAddress: ctx.connection.localAddress, remotePort: ctx.connection.remotePort };
    return ctx.response.end(`over ${ctx.request.path}`);
  });
  t.teardown(() => server.stop({ timeout: 500 }));
  const info = await server.listen({ path });
  t.same(info, { address: path, family: 'unix', port: 0 });
  t.same(server.addresses, [`unix:${path}`]);
  t.ok(existsSync(path), 'the socket file exists');

  const agent = new Agent({ connect: { socketPath: path } });
  for (let i = 0; i < 3; i++) {
    const r = await request(`http://localhost/u${i}`, { dispatcher: agent });
    t.equal(r.statusCode, 200);
    t.equal(await r.body.text(), `over /u${i}`, `request ${i} over the Unix socket (kept alive)`);
  }
  t.same(seen, { remoteAddress: '', localAddress: '', remotePort: 0 }, 'no addresses on a Unix socket');

  // A second server cannot take the path while the file is there (node:net's EADDRINUSE).
  const other = createServer((ctx: Ctx) => ctx.response.end('no'));
  const err = await other.listen({ path }).then(
    () => null,
    (e: { code?: string; errno?: number; syscall?: string }) => e,
  );
  t.equal(err?.code, 'SYSHTTP_ERR_LISTEN');
  t.equal(err?.errno, 98, 'EADDRINUSE');
  t.equal(err?.syscall, 'bind');

  await agent.close();
  await server.stop({ timeout: 500 });
  t.notOk(existsSync(path), 'stop() removed the socket file');

  // A stale file (not ours) is not removed for us either.
  writeFileSync(path, '');
  await t.rejects(createServer().listen({ path }), { code: 'SYSHTTP_ERR_LISTEN', errno: 98 });
  t.ok(existsSync(path), 'a file we did not create stays');

  await t.rejects(createServer().listen({ path: '' }), { code: 'SYSHTTP_ERR_INVALID_ARG' });
  await t.rejects(createServer().listen({ path: '\0abstract' }), { code: 'SYSHTTP_ERR_INVALID_ARG' }, 'no abstract names');
  await t.rejects(createServer().listen({ path: join(dir, 'x'.repeat(120)) }), { code: 'SYSHTTP_ERR_LISTEN', errno: 36 }, 'ENAMETOOLONG');
});

