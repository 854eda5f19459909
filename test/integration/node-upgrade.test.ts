// syshttp/node: the 'upgrade' event (raw bytes both ways; the ws package on top, through
// the ws-echo example) and informational responses (100, 102, 103 Early Hints).
import t from 'tap';
import path from 'node:path';
import http from 'node:http';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { openRaw, buildRequest, waitFor } from '../helpers/server';
import { againstNode, closeServer, serverSideTimer, startNode } from '../node/helpers';

const examples = path.resolve(__dirname, '../../examples');
const load = createRequire(path.join(examples, 'package-less.js'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyServer = any;
type WsClient = {
  on(event: string, fn: (...args: unknown[]) => void): void;
  once(event: string, fn: (...args: unknown[]) => void): void;
  send(data: unknown, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
};

const upgradeHead = (target = '/') =>
  buildRequest({
    target,
    headers: [
      ['Connection', 'Upgrade'],
      ['Upgrade', 'x-echo'],
    ],
  });

t.test("'upgrade': the listener gets req, a raw Duplex and head; bytes flow both ways", async (t) => {
  const seen: Record<string, unknown> = {};
  const { server, port } = await startNode(t, () => t.fail("'request' must not be emitted for an upgrade"));
  server.on('upgrade', (req: http.IncomingMessage, socket: import('node:stream').Duplex & { remoteAddress?: string }, head: Buffer) => {
    seen.isIncoming = req instanceof http.IncomingMessage;
    seen.upgrade = req.upgrade;
    seen.url = req.url;
    seen.upgradeHeader = req.headers.upgrade;
    seen.headIsBuffer = Buffer.isBuffer(head);
    seen.remoteAddress = socket.remoteAddress;
    seen.sameSocket = req.socket === socket;
    seen.parser = (socket as unknown as { parser?: unknown }).parser;
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x-echo\r\n\r\n');
    socket.on('data', (chunk: Buffer) => socket.write(`[${chunk.toString()}]`));
    socket.on('end', () => {
      seen.peerEnded = true;
      socket.end('[bye]');
    });
    socket.on('close', () => (seen.closed = true));
  });
  const c = await openRaw(t, port);
  await c.write(upgradeHead('/chat'));
  await c.waitForText('\r\n\r\n');
  t.match(c.data.toString('latin1'), /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  const at = c.data.length;
  await c.write('ping');
  await c.waitForText('[ping]');
  c.socket.end();  // the client ends its side; the listener ends the server's
  t.ok(await c.waitClose(3000), 'the connection closes');
  t.equal(c.data.subarray(at).toString(), '[ping][bye]');
  await waitFor(() => seen.closed === true, 3000, "the stream's 'close'");
  delete seen.closed;
  t.equal(seen.peerEnded, true, "'end' on the stream");
  delete seen.peerEnded;
  t.same(seen, {
    isIncoming: true,
    upgrade: true,
    url: '/chat',
    upgradeHeader: 'x-echo',
    headIsBuffer: true,
    remoteAddress: '127.0.0.1',
    sameSocket: true,
    parser: null,  // node frees its parser before 'upgrade'
  });
});

t.test("'upgrade': bytes sent with the head are the listener's head, not the stream's", async (t) => {
  let head: Buffer | null = null;
  const data: Buffer[] = [];
  const { server, port } = await startNode(t, () => t.fail("no 'request'"));
  server.on('upgrade', (_req: http.IncomingMessage, socket: import('node:stream').Duplex, h: Buffer) => {
    head = h;
    socket.on('data', (chunk: Buffer) => data.push(chunk));
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x-echo\r\n\r\n');
    socket.on('end', () => socket.end());
  });
  const c = await openRaw(t, port);
  await c.write(upgradeHead() + 'early bytes');
  await c.waitForText('\r\n\r\n');
  await c.write('later');
  await waitFor(() => Buffer.concat(data).toString() === 'later', 3000, 'the later bytes on the stream');
  t.equal(head!.toString(), 'early bytes', 'what came with the head');
  c.socket.end();
  t.ok(await c.waitClose(3000));
});

t.test("'connect': a CONNECT request's tunnel, raw both ways, with what came after the head as head; the connection stays HTTP-free after", async (t) => {
  const seen: Record<string, unknown> = {};
  const { server, port } = await startNode(t, () => t.fail("no 'request'"));
  server.on('connect', (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    seen.method = req.method;
    seen.url = req.url;
    seen.head = head.toString();
    // As net.Socket: one 'end' listener of its own (ending our side), nothing else.
    seen.listeners = ['end', 'data', 'close', 'drain', 'error', 'timeout'].map((e) => `${e}:${socket.listenerCount(e)}`).join(' ');
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    socket.on('data', (chunk: Buffer) => socket.write(`<${chunk.toString()}>`));
    socket.on('end', () => socket.end());
  });
  const c = await openRaw(t, port);
  await c.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nhello');
  await c.waitForText('\r\n\r\n');
  t.match(c.data.toString('latin1'), /^HTTP\/1\.1 200 Connection Established\r\n\r\n/);
  await c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');  // tunnel bytes, not a request
  await c.waitForText('<GET / HTTP/1.1');
  t.same(seen, { method: 'CONNECT', url: 'example.com:443', head: 'hello', listeners: 'end:1 data:0 close:0 drain:0 error:0 timeout:0' });
  c.socket.end();
  t.ok(await c.waitClose(3000));
});

t.test("a CONNECT pipelined behind a request: 'connect' with its head once the response ahead is out, never a 'request'", async (t) => {
  const seen: string[] = [];
  const { server, port } = await startNode(t, (req, res) => {
    seen.push(`request ${req.method}`);
    res.end('get');
  });
  server.on('connect', (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    seen.push(`connect ${req.url} ${head.toString()}`);
    socket.end('HTTP/1.1 200 Connection Established\r\n\r\n');
  });
  const c = await openRaw(t, port);
  await c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\nCONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\ntunnel-bytes');
  t.ok(await c.waitClose(3000));
  t.same(seen, ['request GET', 'connect example.com:443 tunnel-bytes']);
  t.match(c.data.toString('latin1'), /HTTP\/1\.1 200 Connection Established\r\n\r\n$/);
});

t.test("an upgrade pipelined behind a request not answered yet: 'upgrade' at once with its head (node hands the socket over at once), its bytes both ways once the response ahead is out", async (t) => {
  let first: http.ServerResponse | null = null;
  const { server, port } = await startNode(t, (_req, res) => {
    first = res;
  });
  const heads: string[] = [];
  server.on('upgrade', (_req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    heads.push(head.toString());
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: x-echo\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase()));
    t.ok(first !== null, 'the request ahead reached the app first');
    first!.end('first');  // from the upgrade's listener: the response ahead goes out now
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({ target: '/a' }) + upgradeHead('/ws') + 'head-bytes');
  await waitFor(() => c.data.toString('latin1').includes('101 Switching'), 3000, 'the 101');
  await c.write('more');
  await waitFor(() => c.data.toString('latin1').includes('MORE'), 3000, 'bytes after the 101 reach the stream and come back');
  t.same(heads, ['head-bytes'], "'upgrade' once, with what came after its head");
  const text = c.data.toString('latin1');
  t.match(text, /HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n(5\r\nfirst\r\n0\r\n\r\n|first)/, 'the response ahead, whole');
  if (!againstNode) t.ok(text.indexOf('200 OK') < text.indexOf('101 Switching'), 'the response ahead first (node:http sends the listener\'s bytes as they come)');
});

t.test("a held upgrade's write callback comes as a socket's would, so a listener may wait for it before it answers the request ahead", async (t) => {
  let first: http.ServerResponse | null = null;
  const { server, port } = await startNode(t, (_req, res) => {
    first = res;
  });
  server.on('upgrade', (_req: http.IncomingMessage, socket: import('node:stream').Duplex) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: x-echo\r\n\r\n', () => {
      first!.end('first');
      socket.end('raw-bye');
    });
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({ target: '/a' }) + upgradeHead('/ws'));
  await waitFor(() => c.data.toString('latin1').includes('raw-bye'), 3000, "the stream's last bytes");
  t.match(c.data.toString('latin1'), /first/, 'the response ahead went out');
  t.match(c.data.toString('latin1'), /101 Switching Protocols/, 'and the 101');
});

t.test("an upgrade held behind a response that closes the connection: its stream closes with it, without an error; one destroyed while held closes the connection", async (t) => {
  const responses: http.ServerResponse[] = [];
  const { server, port } = await startNode(t, (_req, res) => {
    responses.push(res);
  });
  const streams: import('node:stream').Duplex[] = [];
  server.on('upgrade', (_req: http.IncomingMessage, socket: import('node:stream').Duplex) => {
    streams.push(socket);
  });
  const closing = await openRaw(t, port);
  await closing.write(buildRequest({ target: '/a' }) + upgradeHead('/ws'));
  await waitFor(() => streams.length === 1 && responses.length === 1, 3000, "the request and the 'upgrade'");
  const errors: Error[] = [];
  streams[0].on('error', (e: Error) => errors.push(e));
  responses[0].setHeader('Connection', 'close');
  responses[0].end('bye');
  t.ok(await closing.waitClose(3000), 'the connection closes after the response');
  t.match(closing.data.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n[^]*bye$/, 'the response went out whole');
  await waitFor(() => streams[0].destroyed, 3000, 'the held stream is closed');
  t.same(errors, [], 'no error on it');

  const destroyed = await openRaw(t, port);
  await destroyed.write(buildRequest({ target: '/b' }) + upgradeHead('/ws'));
  await waitFor(() => streams.length === 2 && responses.length === 2, 3000, "the request and the 'upgrade'");
  const closedAhead = once(responses[1], 'close');
  streams[1].destroy();
  t.ok(await destroyed.waitClose(3000), 'the connection closes');
  await closedAhead;
  t.pass("the response ahead gets its 'close'");

  const all = await openRaw(t, port);
  await all.write(buildRequest({ target: '/c' }) + upgradeHead('/ws'));
  await waitFor(() => streams.length === 3 && responses.length === 3, 3000, "the request and the 'upgrade'");
  server.closeAllConnections();
  server.closeIdleConnections();
  await new Promise((r) => setTimeout(r, 200));
  t.notOk(streams[2].destroyed, "closeAllConnections() leaves an upgrade's connection to its listener, as node:http's");
  responses[2].end('ahead');
  streams[2].end('raw-bye');
  await waitFor(() => all.data.toString('latin1').includes('raw-bye'), 3000, "the stream's bytes");
  t.match(all.data.toString('latin1'), /ahead/, 'the response ahead went out');
});

t.test("req.resume() in an 'upgrade' listener leaves the upgraded socket as it is (paused): bytes wait for a later 'data' listener", async (t) => {
  const { server, port } = await startNode(t, () => t.fail('no request'));
  const got: Buffer[] = [];
  server.on('upgrade', (req: http.IncomingMessage, socket: import('node:stream').Duplex) => {
    socket.pause();
    req.resume();
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: x-echo\r\n\r\n');
    setTimeout(() => {
      t.equal(socket.readableFlowing, false, 'still paused');
      socket.on('data', (d: Buffer) => got.push(d));
      socket.resume();
    }, 200);
  });
  const c = await openRaw(t, port);
  await c.write(upgradeHead('/ws'));
  await waitFor(() => c.data.toString('latin1').includes('101 Switching'), 3000, 'the 101');
  await c.write('early-bytes');
  await waitFor(() => Buffer.concat(got).toString() === 'early-bytes', 3000, 'the bytes sent before the listener came');
  t.pass('none lost');
});

t.test("CONNECT with no 'connect' listener: the connection is destroyed, as node:http's", async (t) => {
  const { port } = await startNode(t, () => t.fail("no 'request'"));
  const c = await openRaw(t, port);
  await c.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
  t.ok(await c.waitClose(3000), 'closed');
  t.equal(c.data.length, 0, 'nothing sent');
});

t.test("without an 'upgrade' listener an upgrade request is a plain request", async (t) => {
  const { port } = await startNode(t, (req, res) => res.end(`plain ${req.headers.upgrade}`));
  const c = await openRaw(t, port);
  await c.write(upgradeHead());
  const [r] = await c.readResponses(1);
  t.equal(r.status, 200);
  t.equal(r.body.toString(), 'plain x-echo');
});

t.test('ws: the ws-echo example (text, binary, 1 MiB message, close handshake)', async (t) => {
  const WebSocket = load('ws') as new (url: string) => WsClient;
  const { start } = load(path.join(examples, 'ws-echo.js'));
  const { server, wss } = (await start(0, '127.0.0.1')) as { server: AnyServer; wss: { close(): void } };
  t.teardown(async () => {
    wss.close();
    await closeServer(server);
  });
  const port = server.address().port;

  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  const messages: Array<[Buffer, boolean]> = [];
  ws.on('message', (data: unknown, isBinary: unknown) => messages.push([data as Buffer, isBinary as boolean]));
  await once(ws as never, 'open');
  await waitFor(() => messages.length === 1, 3000, 'the greeting');
  t.equal(messages[0][0].toString(), 'hello 127.0.0.1');

  ws.send('text message');
  ws.send(Buffer.from([0, 1, 2, 255]));
  const big = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  ws.send(big);
  await waitFor(() => messages.length === 4, 10_000, 'three echoes');
  t.same([messages[1][0].toString(), messages[1][1]], ['text message', false]);
  t.same([[...messages[2][0]], messages[2][1]], [[0, 1, 2, 255], true]);
  t.ok(messages[3][0].equals(big), 'the 1 MiB message echoed intact');

  const closed = once(ws as never, 'close');
  ws.close(1000, 'done');
  const [code, reason] = (await closed) as [number, Buffer];
  t.equal(code, 1000);
  t.equal(reason.toString(), 'done');

  const r = await fetch(`http://127.0.0.1:${port}/`);
  t.equal(await r.text(), 'WebSocket echo: connect with ws://\n', 'plain HTTP on the same server');
});

t.test('informational responses: 103 Early Hints, 102 Processing, writeContinue', async (t) => {
  const { port } = await startNode(t, (req, res) => {
    if (req.url === '/hints') {
      res.writeEarlyHints({ link: ['</a.css>; rel=preload; as=style', '</b.js>; rel=preload; as=script'], 'x-hint': 'h' }, () => {
        res.end('final');
      });
      return;
    }
    if (req.url === '/processing') {
      res.writeProcessing();
      res.end('processed');
      return;
    }
    res.writeContinue();
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => res.end(`body ${Buffer.concat(parts)}`));
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({ target: '/hints' }));
  let [r] = await c.readResponses(1);
  t.equal(r.interim.length, 1, 'one interim response');
  t.equal(r.interim[0]?.status, 103);
  t.equal(r.interim[0]?.headers.link, '</a.css>; rel=preload; as=style, </b.js>; rel=preload; as=script');
  t.equal(r.interim[0]?.headers['x-hint'], 'h');
  t.equal(r.status, 200);
  t.equal(r.body.toString(), 'final');

  await c.write(buildRequest({ target: '/processing' }));
  [r] = await c.readResponses(1);
  t.equal(r.interim[0]?.status, 102);
  t.equal(r.body.toString(), 'processed');

  // writeContinue from a plain 'request' listener, before the body is sent.
  await c.write(buildRequest({ method: 'POST', target: '/continue', headers: [['Content-Length', 3], ['Expect', '100-continue']] }));
  await c.waitForText('100 Continue');
  await c.write('abc');
  [r] = await c.readResponses(1);
  t.equal(r.body.toString(), 'body abc');
  // node:http sends its own 100 first when nobody listens for checkContinue, so two.
  if (!againstNode) t.equal(r.interim.filter((x) => x.status === 100).length, 1, 'exactly one 100 Continue');
});

t.test("'upgrade' refused as ws does it: end(response), destroy() on 'finish'; the client gets the whole answer, no reset", async (t) => {
  const { server, port } = await startNode(t, () => t.fail("no 'request'"));
  server.on('upgrade', (req: http.IncomingMessage, socket: import('node:stream').Duplex) => {
    if (req.url === '/destroy-after-write') {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 4\r\n\r\n');
      socket.write('nope');
      socket.destroy();  // what was written goes out, then the close
      return;
    }
    const body = 'Missing or invalid Sec-WebSocket-Key header';
    socket.once('finish', () => socket.destroy());
    socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  });
  for (const [target, status, body] of [
    ['/ws', 400, 'Missing or invalid Sec-WebSocket-Key header'],
    ['/destroy-after-write', 403, 'nope'],
  ] as const) {
    const c = await openRaw(t, port);
    await c.write(upgradeHead(target));
    t.ok(await c.waitClose(3000), `${target}: the connection closes`);
    t.notOk(c.reset, `${target}: without a reset`);
    const text = c.data.toString('latin1');
    t.match(text, new RegExp(`^HTTP/1\\.1 ${status} `), `${target}: the status line`);
    t.ok(text.endsWith(`\r\n\r\n${body}`), `${target}: the whole body`);
  }
});

t.test("the client's end reaches an upgraded socket nobody reads: 'end', then server.close() completes (as net.Socket)", async (t) => {
  const events: string[] = [];
  const { server, port } = await startNode(t, () => t.fail("no 'request'"));
  server.on('upgrade', (_req: http.IncomingMessage, socket: import('node:stream').Duplex) => {
    // No 'data' listener and no read(): the socket is neither flowing nor paused.
    socket.on('end', () => {
      events.push('end');
      socket.end();
    });
    socket.on('close', () => events.push('close'));
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x-echo\r\n\r\n');
  });
  const c = await openRaw(t, port);
  await c.write(upgradeHead());
  await c.waitForText('\r\n\r\n');
  c.socket.end();
  t.ok(await c.waitClose(3000), 'the server closes its side after the client ended');
  await waitFor(() => events.includes('close'), 3000, "the socket's 'close'");
  t.same(events, ['end', 'close']);
  const closed = once(server, 'close');
  server.close();
  await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error("no 'close'")), 3000))]);
  t.pass("server.close() calls back: no connection is left");
});

t.test('resetAndDestroy() on an upgraded socket closes with a reset (ECONNRESET at the client)', async (t) => {
  const { server, port } = await startNode(t, () => t.fail("no 'request'"));
  let closed = false;
  server.on('upgrade', (_req: http.IncomingMessage, socket: import('node:stream').Duplex & { resetAndDestroy(): unknown }) => {
    socket.on('close', () => (closed = true));
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x-echo\r\n\r\n');
    socket.once('data', () => t.equal(socket.resetAndDestroy(), socket, 'returns the socket'));
  });
  const c = await openRaw(t, port);
  await c.write(upgradeHead());
  await c.waitForText('\r\n\r\n');
  await c.write('x');
  t.ok(await c.waitClose(3000), 'the connection closes');
  t.ok(c.reset, 'with a reset');
  await waitFor(() => closed, 3000, "the socket's 'close'");
});

t.test("server.emit('connection', socket): a socket the app hands over is served as node:http serves it", async (t) => {
  const net = await import('node:net');
  // The HTTP server never listens: a plain TCP server passes its sockets on, as protocol
  // sniffers (one port for http and https) and proxies do.
  const httpServer: AnyServer = (await import('../node/helpers')).createServer((req, res) => {
    res.setHeader('x-url', req.url ?? '');
    res.end(`hello ${req.method} ${(req.socket as { remoteAddress?: string }).remoteAddress}`);
  });
  const upgrades: string[] = [];
  httpServer.on('upgrade', (req: http.IncomingMessage, socket: import('node:stream').Duplex) => {
    upgrades.push(req.url ?? '');
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  const handed = new Set<import('node:net').Socket>();
  const front = net.createServer({ allowHalfOpen: true }, (socket) => {
    handed.add(socket);
    httpServer.emit('connection', socket);
  });
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of handed) s.destroy();  // the fetch's kept-alive connection
        front.close(() => resolve());
      }),
  );
  front.listen(0, '127.0.0.1');
  await once(front, 'listening');
  const port = (front.address() as { port: number }).port;
  const res = await fetch(`http://127.0.0.1:${port}/via?x=1`);
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-url'), '/via?x=1');
  t.equal(await res.text(), 'hello GET 127.0.0.1');
  const c = await openRaw(t, port);
  await c.write(upgradeHead('/up'));
  t.ok(await c.waitClose(3000), 'the upgrade listener answers and closes');
  t.match(c.data.toString('latin1'), /^HTTP\/1\.1 400 Bad Request\r\n/);
  t.same(upgrades, ['/up']);
  // closeAllConnections() reaches a handed-over socket too (node's connection list, kept
  // once the server listens).
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  t.teardown(() => closeServer(httpServer));
  const kept = await openRaw(t, port);
  await kept.write(buildRequest({ target: '/kept' }));
  await kept.readResponses(1);
  httpServer.closeAllConnections();
  t.ok(await kept.waitClose(3000), 'closeAllConnections() closes a kept-alive handed-over socket');
});

t.test("a handed-over socket gets node's head timeout checks (headersTimeout, connectionsCheckingInterval)", async (t) => {
  const net = await import('node:net');
  const { createServer: create } = await import('../node/helpers');
  const httpServer: AnyServer = create({ headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 }, () => t.fail("no 'request'"));
  httpServer.listen(0, '127.0.0.1');  // node keeps its connection list once listening
  await once(httpServer, 'listening');
  t.teardown(() => closeServer(httpServer));
  const front = net.createServer({ allowHalfOpen: true }, (socket) => httpServer.emit('connection', socket));
  t.teardown(() => new Promise<void>((resolve) => front.close(() => resolve())));
  front.listen(0, '127.0.0.1');
  await once(front, 'listening');
  const c = await openRaw(t, (front.address() as { port: number }).port);
  await c.write('GET / HTTP/1.1\r\nHost: x\r\n');  // never finished
  t.ok(await c.waitClose(3000), 'closed once the head took too long');
  t.match(c.data.toString('latin1'), /^HTTP\/1\.1 408 Request Timeout\r\n/);
});

t.test("an informational response written raw with res._writeRaw() before writeHead goes out as one (node:http's socket bytes)", async (t) => {
  let called = 0;
  const { port } = await startNode(t, (_req, res) => {
    const raw = (res as unknown as { _writeRaw(d: string | Buffer, cb?: () => void): boolean })._writeRaw.bind(res);
    raw('HTTP/1.1 102 Still Working\r\n');
    raw(Buffer.from('Foo: Bar\r\n'));
    raw('\r\n', () => called++);
    raw('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n', () => called++);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('final');
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({ target: '/' }));
  const [r] = await c.readResponses(1);
  t.same(
    r.interim.map((x) => x.status),
    [102, 103],
  );
  t.match(c.data.toString('latin1'), /^HTTP\/1\.1 102 Still Working\r\nFoo: Bar\r\n\r\nHTTP\/1\.1 103 Early Hints\r\nLink: <\/a\.css>; rel=preload\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  t.equal(r.status, 200);
  t.equal(r.body.toString(), 'final');
  await waitFor(() => called === 2, 3000, 'the callbacks');
});

t.test("an upgraded connection's socket.setKeepAlive() arms the kernel's keep-alive probes, as net.Socket's (ws calls setNoDelay and setTimeout on it too)", async (t) => {
  const { server, port } = await startNode(t, () => t.fail("'request' must not be emitted for an upgrade"));
  server.on('upgrade', (_req: http.IncomingMessage, socket: import('node:net').Socket) => {
    socket.setNoDelay();
    socket.setTimeout(0);
    socket.setKeepAlive(true, 40000);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x-echo\r\n\r\n');
  });
  const c = await openRaw(t, port);
  await c.write(upgradeHead());
  await c.waitForText('101 Switching Protocols', 3000);
  const clientPort = c.socket.localPort as number;
  let seen: ReturnType<typeof serverSideTimer> = null;
  await waitFor(() => {
    seen = serverSideTimer(port, clientPort);
    return seen?.timer === 'keepalive';
  }, 2000, 'the keep-alive timer').catch(() => undefined);
  t.equal(seen?.timer, 'keepalive');
  t.ok(seen !== null && seen.seconds > 35 && seen.seconds <= 40, `the first probe in about 40 s (${seen?.seconds})`);
  c.destroy();
});
