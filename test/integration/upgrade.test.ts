// Upgrades (HttpUpgradeFeature): a request with Connection: upgrade and Upgrade leaves
// HTTP and becomes a raw byte stream both ways; answered over HTTP instead, the
// connection goes on serving requests. Also 1xx informational responses.
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { HttpUpgradeFeature } from '../../dist/index.js';
import { startServer, sleep, type Ctx, type TeardownHost } from '../helpers/server';

const UPGRADE_HEAD =
  'GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n';

/** A raw client that gathers everything the server sends. */
async function connect(t: TeardownHost, port: number) {
  const socket = net.connect(port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  let received = Buffer.alloc(0);
  let ended = false;
  let closed = false;
  socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  socket.on('end', () => (ended = true));
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  const until = async (what: string, done: () => boolean, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(received.toString('latin1'))}`);
      await sleep(5);
    }
  };
  return {
    socket,
    text: () => received.toString('latin1'),
    bytes: () => received,
    ended: () => ended,
    closed: () => closed,
    until,
  };
}

// An echo protocol: 101 with the app's headers, then every byte back.
async function echoUpgrade(ctx: Ctx): Promise<void> {
  const upgrade = ctx.features.get(HttpUpgradeFeature);
  if (!upgrade.isUpgradableRequest) {
    await ctx.response.end('plain');
    return;
  }
  ctx.response.headers.set('Upgrade', 'echo');
  ctx.response.headers.set('Connection', 'Upgrade');
  const stream: Duplex = await upgrade.upgrade();
  stream.pipe(stream);
}

t.test('upgrade: 101, then bytes both ways, including those sent right after the head', async (t) => {
  const { port } = await startServer(t, echoUpgrade);
  const c = await connect(t, port);
  c.socket.write(UPGRADE_HEAD + 'early bytes|');
  await c.until('101 and the early bytes', () => c.text().includes('early bytes|'));
  const text = c.text();
  t.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/, 'status line');
  t.match(text, /\r\nUpgrade: echo\r\n/, 'the app\'s Upgrade field');
  t.match(text, /\r\nConnection: Upgrade\r\n/, 'the app\'s Connection field');
  t.notMatch(text, /Content-Length|Transfer-Encoding/i, 'no framing on a 101');
  const after = text.slice(text.indexOf('\r\n\r\n') + 4);
  t.equal(after, 'early bytes|', 'bytes pipelined behind the head are the new protocol\'s');
  c.socket.write('GET / HTTP/1.1\r\n\r\n');
  await c.until('echo of an HTTP-looking line', () => c.text().endsWith('GET / HTTP/1.1\r\n\r\n'));
  t.pass('bytes that look like HTTP are not parsed any more');
  c.socket.end();
  await c.until('the server ending its side', () => c.ended() && c.closed());
  t.pass('the peer ending its side ends ours (allowHalfOpen off), then the connection closes');
});

t.test('upgrade: megabytes both ways keep order under backpressure', async (t) => {
  const { port } = await startServer(t, echoUpgrade);
  const c = await connect(t, port);
  c.socket.write(UPGRADE_HEAD);
  await c.until('101', () => c.text().includes('\r\n\r\n'));
  const headLength = c.text().indexOf('\r\n\r\n') + 4;
  const payload = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 12)) & 0xff;
  c.socket.pause(); // the client does not read for a while: the server's writes must wait
  c.socket.write(payload);
  await sleep(200);
  c.socket.resume();
  await c.until('4 MiB echoed', () => c.bytes().length >= headLength + payload.length, 20000);
  t.ok(c.bytes().subarray(headLength).equals(payload), 'every byte back, in order');
});

t.test('upgrade: answered over HTTP instead, the connection serves the next request', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    await ctx.response.end(`no upgrade for ${ctx.request.path}`);
  });
  const c = await connect(t, port);
  c.socket.write(UPGRADE_HEAD + 'GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
  await c.until('two responses', () => (c.text().match(/HTTP\/1\.1 200/g) ?? []).length === 2);
  t.match(c.text(), /no upgrade for \/chat/);
  t.match(c.text(), /no upgrade for \/next/, 'the request behind the upgrade request was parsed after its answer');
});

t.test('upgrade: a request without Upgrade cannot be upgraded (typed error)', async (t) => {
  let code = '';
  let upgradable: boolean | undefined;
  const { port } = await startServer(t, async (ctx: Ctx) => {
    const upgrade = ctx.features.get(HttpUpgradeFeature);
    upgradable = upgrade.isUpgradableRequest;
    try {
      await upgrade.upgrade();
    } catch (err) {
      code = (err as { code: string }).code;
    }
    await ctx.response.end('still http');
  });
  const c = await connect(t, port);
  c.socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\n\r\n'); // no Connection: upgrade
  await c.until('the response', () => c.text().includes('still http'));
  t.equal(upgradable, false);
  t.equal(code, 'SYSHTTP_ERR_NOT_UPGRADABLE');
  t.match(c.text(), /^HTTP\/1\.1 200 /);
});

t.test('upgrade: a client reset closes the stream with an error', async (t) => {
  let resolveStream: (s: Duplex) => void = () => {};
  const streamReady = new Promise<Duplex>((r) => (resolveStream = r));
  const { port } = await startServer(t, async (ctx: Ctx) => {
    ctx.response.headers.set('Upgrade', 'echo');
    ctx.response.headers.set('Connection', 'Upgrade');
    resolveStream(await ctx.features.get(HttpUpgradeFeature).upgrade());
  });
  const c = await connect(t, port);
  c.socket.write(UPGRADE_HEAD);
  const stream = await streamReady;
  let error: { code?: string } | null = null;
  stream.on('error', (e) => (error = e as { code?: string }));
  const closed = new Promise((resolve) => stream.on('close', resolve)); // (events.once would reject on 'error')
  c.socket.resetAndDestroy();
  await closed;
  t.ok(stream.destroyed, 'destroyed');
  t.equal(error?.code, 'SYSHTTP_ERR_CLIENT_ABORTED');
});

t.test('upgrade: stop() closes upgraded connections after its timeout', async (t) => {
  const { port, server } = await startServer(t, echoUpgrade);
  const c = await connect(t, port);
  c.socket.write(UPGRADE_HEAD);
  await c.until('101', () => c.text().includes('\r\n\r\n'));
  const started = Date.now();
  await server.stop({ timeout: 300 });
  t.ok(Date.now() - started >= 250, 'the upgraded connection kept stop() waiting until its timeout');
  await c.until('the close', () => c.closed());
});

t.test('1xx: informational responses go out before the final one, none to HTTP/1.0', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    ctx.exchange.informational(103, [['Link', '</style.css>; rel=preload']]);
    await ctx.response.end('final');
  });
  const c = await connect(t, port);
  c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await c.until('the final response', () => c.text().includes('final'));
  t.match(c.text(), /^HTTP\/1\.1 103 Early Hints\r\nLink: <\/style\.css>; rel=preload\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  const c10 = await connect(t, port);
  c10.socket.write('GET / HTTP/1.0\r\n\r\n');
  await c10.until('the final response', () => c10.text().includes('final'));
  t.match(c10.text(), /^HTTP\/1\.1 200 OK\r\n/, 'HTTP/1.0: no 1xx');
});

t.test('upgrade: the server ends first; the client still sends, then ends: both sides close cleanly', async (t) => {
  let resolveDone: (v: { data: string; ended: boolean; error: unknown }) => void = () => {};
  const done = new Promise<{ data: string; ended: boolean; error: unknown }>((r) => (resolveDone = r));
  const { port } = await startServer(t, async (ctx: Ctx) => {
    ctx.response.headers.set('Upgrade', 'echo');
    ctx.response.headers.set('Connection', 'Upgrade');
    const stream = await ctx.features.get(HttpUpgradeFeature).upgrade();
    let data = '';
    let ended = false;
    let error: unknown = null;
    stream.on('data', (d: Buffer) => (data += d.toString('latin1')));
    stream.on('end', () => (ended = true));
    stream.on('error', (e: unknown) => (error = e));
    stream.on('close', () => resolveDone({ data, ended, error }));
    stream.end('bye');
  });
  const c = await connect(t, port);
  // Before node:net's own end (allowHalfOpen off) follows the server's: the client
  // still sends, then ends.
  c.socket.prependOnceListener('end', () => c.socket.end('late bytes'));
  c.socket.write(UPGRADE_HEAD);
  await c.until('our end after "bye"', () => c.ended() && c.text().endsWith('bye'));
  const result = await done;
  t.equal(result.data, 'late bytes', 'bytes the client sent after our end still arrive');
  t.ok(result.ended, "the client's end is an 'end'");
  t.equal(result.error, null, 'no error: both sides ended');
  await c.until('the close', () => c.closed());
});
