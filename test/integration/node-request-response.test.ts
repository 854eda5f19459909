// syshttp/node: req and res as node:http documents them, over real sockets.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { IncomingMessage, ServerResponse } from '../../dist/node/index.js';
import { openRaw, buildRequest, chunked, headerValues, rawRequest, sleep, waitFor, sha256 } from '../helpers/server';
import { againstNode, startNode } from '../node/helpers';

t.test('req and res are genuine node:http instances, with the request line and fields', async (t) => {
  let seen: Record<string, unknown> = {};
  const { port } = await startNode(t, (req, res) => {
    seen = {
      isIncoming: req instanceof http.IncomingMessage,
      isOurs: req instanceof IncomingMessage,
      isResponse: res instanceof http.ServerResponse,
      isNetSocket: req.socket instanceof net.Socket,
      isOurResponse: res instanceof ServerResponse,
      method: req.method,
      url: req.url,
      httpVersion: req.httpVersion,
      major: req.httpVersionMajor,
      minor: req.httpVersionMinor,
      headers: { ...req.headers },
      distinct: { ...req.headersDistinct },
      rawHeaders: [...req.rawHeaders],
      sameSocket: req.socket === res.socket && req.connection === req.socket,
      resReq: res.req === req,
    };
    res.end('ok');
  });
  const r = await rawRequest(
    port,
    buildRequest({
      method: 'PATCH',
      target: '/a/b?c=d&e',
      headers: [
        ['X-Mixed-Case', 'one'],
        ['x-mixed-case', 'two'],
        ['Cookie', 'a=1'],
        ['cookie', 'b=2'],
        ['Set-Cookie', 's=1'],
        ['set-cookie', 's=2'],
        ['Content-Type', 'text/plain'],
        ['content-type', 'ignored/duplicate'],
      ],
    }),
    { responses: 1 },
  );
  t.equal(r.parsed.responses[0]?.status, 200);
  t.ok(seen.isIncoming, 'req instanceof http.IncomingMessage');
  if (!againstNode) t.ok(seen.isOurs, 'req instanceof syshttp IncomingMessage');
  t.ok(seen.isResponse, 'res instanceof http.ServerResponse');
  t.ok(seen.isNetSocket, 'req.socket instanceof net.Socket');
  if (!againstNode) t.ok(seen.isOurResponse, 'res instanceof syshttp ServerResponse');
  t.equal(seen.method, 'PATCH');
  t.equal(seen.url, '/a/b?c=d&e', 'url is the target as sent');
  t.equal(seen.httpVersion, '1.1');
  t.equal(seen.major, 1);
  t.equal(seen.minor, 1);
  const headers = seen.headers as Record<string, unknown>;
  t.equal(headers.host, 'localhost');
  t.equal(headers['x-mixed-case'], 'one, two', 'repeated fields joined with ", "');
  t.equal(headers.cookie, 'a=1; b=2', 'Cookie joined with "; "');
  t.same(headers['set-cookie'], ['s=1', 's=2'], 'Set-Cookie is an array');
  t.equal(headers['content-type'], 'text/plain', 'a repeated single-value field keeps the first');
  t.same((seen.distinct as Record<string, string[]>)['x-mixed-case'], ['one', 'two'], 'headersDistinct');
  t.same(
    (seen.rawHeaders as string[]).slice(0, 6),
    ['Host', 'localhost', 'X-Mixed-Case', 'one', 'x-mixed-case', 'two'],
    'rawHeaders in order, names as sent',
  );
  t.ok(seen.sameSocket, 'req.socket === res.socket === req.connection');
  t.ok(seen.resReq, 'res.req');
});

t.test("fields node:http's parser and server set: req.upgrade false, res._keepAliveTimeout, socket.bufferSize", async (t) => {
  let seen: unknown[] = [];
  const { server, port } = await startNode(t, (req, res) => {
    const socket = req.socket as unknown as { bufferSize: number };
    seen = [req.upgrade, (res as unknown as { _keepAliveTimeout: number })._keepAliveTimeout, socket.bufferSize];
    res.end('ok');
  });
  server.keepAliveTimeout = 4321;
  const r = await rawRequest(port, buildRequest({}), { responses: 1 });
  t.equal(r.parsed.responses[0]?.status, 200);
  t.same(seen, [false, 4321, 0]);
});

t.test('HTTP/1.0 request: version fields and a close after the response', async (t) => {
  let version = '';
  const { port } = await startNode(t, (req, res) => {
    version = `${req.httpVersion} ${req.httpVersionMajor}.${req.httpVersionMinor}`;
    res.end('old');
  });
  const r = await rawRequest(port, buildRequest({ version: 'HTTP/1.0' }));
  t.equal(version, '1.0 1.0');
  t.equal(r.parsed.responses[0]?.body.toString(), 'old');
  t.ok(r.closed, 'the connection closed after an HTTP/1.0 response');
});

t.test('socket: addresses, shared by the requests of one connection, one connection event each', async (t) => {
  const sockets: unknown[] = [];
  const info: Record<string, unknown>[] = [];
  let connections = 0;
  const { server, port } = await startNode(t, (req, res) => {
    const s = req.socket;
    sockets.push(s);
    info.push({
      remoteAddress: s.remoteAddress,
      remotePort: s.remotePort,
      localAddress: s.localAddress,
      localPort: s.localPort,
      remoteFamily: s.remoteFamily,
      encrypted: (s as unknown as { encrypted?: boolean }).encrypted,
      readable: s.readable,
      writable: s.writable,
      address: s.address(),
    });
    s.setNoDelay(true);
    s.setKeepAlive(true, 1000);
    res.end(String(s.remotePort));
  });
  server.on('connection', () => connections++);
  const c = await openRaw(t, port);
  await c.write(buildRequest({ target: '/1' }));
  const [a] = await c.readResponses(1);
  await c.write(buildRequest({ target: '/2' }));
  const [b] = await c.readResponses(1);
  t.equal(a.body.toString(), String(c.socket.localPort), 'remotePort is the client port');
  t.equal(b.body.toString(), String(c.socket.localPort));
  t.equal(sockets[0], sockets[1], 'one socket object per connection');
  t.equal(connections, 1, "one 'connection' event for the connection");
  t.equal(info[0].remoteAddress, '127.0.0.1');
  t.equal(info[0].localAddress, '127.0.0.1');
  t.equal(info[0].localPort, port);
  t.equal(info[0].remoteFamily, 'IPv4');
  t.notOk(info[0].encrypted, 'not encrypted');
  t.equal(info[0].readable, true);
  t.equal(info[0].writable, true);
  t.same(info[0].address, { address: '127.0.0.1', family: 'IPv4', port });

  const c2 = await openRaw(t, port);
  await c2.write(buildRequest({}));
  await c2.readResponses(1);
  t.equal(connections, 2, 'a second connection, a second event');
  t.not(sockets[2], sockets[0], 'and its own socket');
});

t.test('socket.bytesRead/bytesWritten count the connection’s bytes, queued ones too, and stay after its close', async (t) => {
  const seen: Record<string, number> = {};
  let socket: { bytesRead: number; bytesWritten: number } | null = null;
  const big = Buffer.alloc(1 << 20, 0x61);
  const request = buildRequest({ method: 'POST', body: 'abc', headers: [['Content-Length', '3'], ['Connection', 'close']] });
  const closed = new Promise<void>((resolve) => {
    void startNode(t, (req, res) => {
      socket = req.socket;
      req.socket.on('close', () => resolve());
      req.resume();
      req.on('end', () => {
        seen.readAtEnd = req.socket.bytesRead;
        seen.writtenBefore = req.socket.bytesWritten;
        res.writeHead(200, { 'content-length': big.length });
        res.write(big);
        seen.writtenQueued = req.socket.bytesWritten;  // most of 1 MiB is still queued
        res.end();
      });
    }).then(({ port }) => rawRequest(port, request).then((r) => (seen.received = r.data.length)));
  });
  await closed;
  await waitFor(() => seen.received !== undefined);
  t.equal(seen.readAtEnd, Buffer.byteLength(request), 'bytesRead: the whole request');
  t.equal(seen.writtenBefore, 0, 'nothing written before the response');
  t.ok(seen.writtenQueued > big.length, `bytesWritten counts the head and the queued body (${seen.writtenQueued})`);
  t.equal(socket!.bytesWritten, seen.received, 'after the close: every byte the client received');
  t.equal(socket!.bytesRead, Buffer.byteLength(request), 'after the close: bytesRead kept');
});

t.test('res.writableLength counts the bytes written and not yet sent, chunk framing included, until end() hands them over', async (t) => {
  const seen: Record<string, number> = {};
  let socket: { writableLength: number } | null = null;
  const big = Buffer.alloc(1 << 20, 0x62);
  const { port } = await startNode(t, (req, res) => {
    socket = req.socket;
    seen.before = res.writableLength;
    res.write('');  // the head
    seen.afterHead = res.writableLength;
    res.write('asd');  // 3\r\nasd\r\n
    seen.afterChunk = res.writableLength;
    res.write(big);
    seen.afterBig = res.writableLength;
    res.on('finish', () => (seen.atFinish = res.writableLength));
    res.end();
    seen.finishedAfterEnd = Number(res.writableFinished);
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({}));
  const r = await c.readResponse();
  t.equal(r.body.length, 3 + big.length, 'the whole body arrived');
  t.equal(seen.before, 0, 'nothing before the first write');
  t.ok(seen.afterHead > 0, `the head is counted (${seen.afterHead})`);
  t.equal(seen.afterChunk, seen.afterHead + 8, 'a chunk with its framing');
  t.ok(seen.afterBig > 0, `a large chunk not taken by the kernel at once is counted (${seen.afterBig})`);
  t.equal(seen.finishedAfterEnd, 1, 'writableFinished right after end(): the bytes are handed over');
  t.equal(seen.atFinish, 0, "nothing at 'finish'");
  t.equal(socket!.writableLength, 0, 'the connection has nothing waiting once the client has it all');
});

t.test('a client that ends its side after its request: an answer given at once goes out and req ends; a later one is aborted (as node:http)', async (t) => {
  const events: string[] = [];
  const { port } = await startNode(t, (req, res) => {
    if (req.url === '/now') {
      req.on('end', () => events.push('now: req end'));
      res.end('hello world');
      return;
    }
    req.on('aborted', () => events.push('later: req aborted'));
    res.on('close', () => events.push(`later: res close, finished ${String(res.writableFinished)}`));
    setTimeout(() => res.end('too late'), 100);
  });
  const ask = (target: string): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1', () =>
        c.end(buildRequest({ method: 'POST', target, body: 'hello world', headers: [['Content-Length', '11']] })),
      );
      const got: Buffer[] = [];
      c.on('data', (d: Buffer) => got.push(d));
      c.on('error', reject);
      c.on('close', () => resolve(Buffer.concat(got)));
    });
  const now = await ask('/now');
  t.match(now.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello world$/, 'the answer given at once is sent, then the close');
  await waitFor(() => events.includes('now: req end'));
  t.pass("and req's 'end' fired");
  const later = await ask('/later');
  t.equal(later.length, 0, 'nothing is sent for a request still unanswered at the client’s end');
  await waitFor(() => events.some((e) => e.startsWith('later: res close')));
  t.ok(events.includes('later: req aborted'), "req 'aborted'");
  t.ok(events.includes('later: res close, finished false'), "res 'close' without finishing");
});

t.test('request body: data events with setEncoding across a split multi-byte character', async (t) => {
  let got = '';
  let complete: boolean[] = [];
  const { port } = await startNode(t, (req, res) => {
    req.setEncoding('utf8');
    complete.push(req.complete);
    req.on('data', (s: string) => (got += s));
    req.on('end', () => {
      complete.push(req.complete);
      res.end(`${typeof got}:${got}`);
    });
  });
  const text = 'héllo wörld €';
  const bytes = Buffer.from(text, 'utf8');
  const c = await openRaw(t, port);
  await c.write(buildRequest({ method: 'POST', headers: [['Content-Length', bytes.length]] }));
  // Split inside the two-byte é and the three-byte €.
  await c.write(bytes.subarray(0, 2));
  await sleep(30);
  await c.write(bytes.subarray(2, bytes.length - 1));
  await sleep(30);
  await c.write(bytes.subarray(bytes.length - 1));
  const [r] = await c.readResponses(1);
  t.equal(r.body.toString('utf8'), `string:${text}`);
  t.same(complete, [false, true], 'complete once the body ended');
});

t.test('chunked request body with trailers: req.trailers, rawTrailers', async (t) => {
  let trailers: unknown = null;
  let raw: string[] = [];
  const { port } = await startNode(t, (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      trailers = { ...req.trailers };
      raw = [...req.rawTrailers];
      res.end(Buffer.concat(parts));
    });
  });
  const r = await rawRequest(
    port,
    Buffer.concat([
      buildRequest({ method: 'POST', headers: [['Transfer-Encoding', 'chunked'], ['Trailer', 'X-Sum']] }),
      chunked(['abc', 'defg'], 'X-Sum: 7\r\nx-list: a\r\nX-List: b\r\n'),
    ]),
    { responses: 1 },
  );
  t.equal(r.parsed.responses[0]?.body.toString(), 'abcdefg');
  t.same(trailers, { 'x-sum': '7', 'x-list': 'a, b' });
  t.same(raw, ['X-Sum', '7', 'x-list', 'a', 'X-List', 'b'], 'rawTrailers as sent: order, case, repeats');
});

t.test('request body backpressure: a paused request is not read, then arrives whole', async (t) => {
  // More than syshttp may take ahead (io_uring: the provided-buffer ring, 4 MiB) and the
  // kernel's socket buffers together, so that the client is held back.
  const total = 64 * 1024 * 1024;
  let received = 0;
  let resume: (() => void) | null = null;
  const hash = createHash('sha256');
  const { port } = await startNode(t, (req, res) => {
    req.pause();
    resume = () => {
      req.on('data', (c: Buffer) => {
        received += c.length;
        hash.update(c);
      });
      req.on('end', () => res.end(hash.digest('hex')));
      req.resume();
    };
  });
  const body = Buffer.alloc(total, 0x61);
  for (let i = 0; i < total; i += 4096) body[i] = i & 0xff;
  const c = await openRaw(t, port);
  void c.write(Buffer.concat([buildRequest({ method: 'POST', headers: [['Content-Length', total]] }), body]));
  await waitFor(() => resume !== null, 5000, 'the handler');
  await sleep(300);
  t.equal(received, 0, 'nothing read while paused');
  t.ok(c.socket.writableLength > 0 || c.socket.bytesWritten < total, 'the client is held back (the server stopped reading)');
  (resume as unknown as () => void)();
  const [r] = await c.readResponses(1, { timeoutMs: 20_000 });
  t.equal(received, total);
  t.equal(r.body.toString(), sha256(body), 'every byte, in order');
});

t.test("an unread body fills its request's buffer: the socket's 'pause' (node's readStop), and reading the request resumes the socket", async (t) => {
  const events: string[] = [];
  let bytes = 0;
  const { port } = await startNode(t, (req, res) => {
    if (req.method === 'GET') {
      res.end('next');
      return;
    }
    const socket = req.socket;
    socket.on('resume', () => events.push('socket resume'));
    socket.on('pause', () => {
      events.push('socket pause');
      // Read it now: every byte still comes, and the socket flows again.
      req.on('data', (d: Buffer) => (bytes += d.length));
      req.on('end', () => {
        events.push('req end');
        res.end('read');
      });
    });
  });
  const total = 256 * 1024;
  const c = await openRaw(t, port);
  void c.write(Buffer.concat([buildRequest({ method: 'POST', headers: [['Content-Length', total]] }), Buffer.alloc(total, 0x62)]));
  const [r] = await c.readResponses(1, { timeoutMs: 10_000 });
  t.equal(r.body.toString(), 'read');
  t.equal(bytes, total, 'every body byte');
  t.same(events.slice(0, 2), ['socket pause', 'socket resume'], 'paused unread, resumed by the read');
  t.equal(events[events.length - 1], 'req end');
  await c.write(buildRequest({}));
  const [next] = await c.readResponses(1);
  t.equal(next.body.toString(), 'next', 'the connection goes on');
});

t.test("a socket 'pause' listener whose response ends with the body unread: the rest is dropped and the next request is answered (node's no-read-no-dump)", async (t) => {
  let closed = false;
  const { port } = await startNode(t, (req, res) => {
    if (req.method === 'GET') {
      res.end('next');
      return;
    }
    res.flushHeaders();
    req.on('close', () => (closed = true));
    req.socket.on('pause', () => res.end());
  });
  const total = 128 * 1024;
  const c = await openRaw(t, port);
  void c.write(Buffer.concat([buildRequest({ method: 'POST', headers: [['Content-Length', total]] }), Buffer.alloc(total, 0x62), buildRequest({})]));
  const [first, next] = await c.readResponses(2, { timeoutMs: 10_000 });
  t.equal(first.status, 200);
  t.equal(next.body.toString(), 'next', 'the request after the body is answered');
  await waitFor(() => closed, 2000, "req 'close'");
});

t.test("res.chunkedEncoding, _headerSent and _last as node:http sets them, for each framing, method and version", async (t) => {
  const cases: Record<string, (res: http.ServerResponse) => void> = {
    '/end': (res) => res.end('x'),
    '/head-first': (res) => {
      res.writeHead(200);
      res.end('x');
    },
    '/length': (res) => {
      res.writeHead(200, { 'Content-Length': 1 });
      res.end('x');
    },
    '/no-content': (res) => {
      res.statusCode = 204;
      res.end();
    },
    '/write': (res) => {
      res.write('x');
      res.end();
    },
    '/own-te': (res) => {
      res.setHeader('Transfer-Encoding', 'chunked');
      res.end('x');
    },
    '/close': (res) => {
      res.setHeader('Connection', 'close');
      res.end('x');
    },
  };
  const seen: Record<string, unknown> = {};
  const { port } = await startNode(t, (req, res) => {
    const tag = `${req.method} ${req.url} 1.${req.httpVersionMinor}`;
    seen[`${tag} before`] = [res.chunkedEncoding, res._headerSent];
    cases[req.url!](res);
    const r = res as unknown as { _last: boolean };
    seen[`${tag} after`] = [res.chunkedEncoding, res._headerSent, r._last];
  });
  const expected: Record<string, unknown> = {};
  for (const target of Object.keys(cases)) {
    for (const method of ['GET', 'HEAD']) {
      for (const version of ['1.1', '1.0']) {
        const tag = `${method} ${target} ${version}`;
        await rawRequest(port, buildRequest({ method, target, version: `HTTP/${version}` }), { responses: 1 });
        const ownTe = target === '/own-te';
        const chunked = ownTe || (version === '1.1' && method === 'GET' && (target === '/head-first' || target === '/write'));
        expected[`${tag} before`] = [false, false];
        expected[`${tag} after`] = [chunked, true, version === '1.0' || target === '/close'];
      }
    }
  }
  t.same(seen, expected);
});

t.test('res header storage: set/get/has/remove/append/getHeaders/getHeaderNames', async (t) => {
  const checks: Record<string, unknown> = {};
  const { url } = await startNode(t, (req, res) => {
    res.setHeader('X-Multi', ['a', 'b']);
    res.setHeader('Content-Type', 'text/plain');
    res.setHeader('X-Gone', 'x');
    res.removeHeader('x-gone');
    res.appendHeader('x-multi', 'c');
    res.appendHeader('Set-Cookie', 'k1=v1');
    res.appendHeader('Set-Cookie', 'k2=v2');
    checks.get = res.getHeader('content-type');
    checks.has = res.hasHeader('CONTENT-TYPE');
    checks.hasGone = res.hasHeader('x-gone');
    checks.names = res.getHeaderNames();
    checks.raw = res.getRawHeaderNames();
    checks.headers = { ...res.getHeaders() };
    checks.sentBefore = res.headersSent;
    res.statusCode = 202;
    res.statusMessage = 'Taken';
    res.end('done');
    checks.sentAfter = res.headersSent;
    try {
      res.setHeader('x-late', '1');
    } catch (err) {
      checks.lateCode = (err as NodeJS.ErrnoException).code;
    }
  });
  const r = await request(`${url}/`);
  t.equal(r.statusCode, 202);
  t.equal(await r.body.text(), 'done');
  t.same(r.headers['x-multi'], ['a', 'b', 'c'], 'one field line per value');
  t.same(r.headers['set-cookie'], ['k1=v1', 'k2=v2'], 'two Set-Cookie lines');
  t.equal(r.headers['x-gone'], undefined);
  t.equal(r.headers['content-length'], '4');
  t.equal(checks.get, 'text/plain');
  t.equal(checks.has, true);
  t.equal(checks.hasGone, false);
  t.same(checks.names, ['x-multi', 'content-type', 'set-cookie']);
  t.same(checks.raw, ['X-Multi', 'Content-Type', 'Set-Cookie']);
  t.same(checks.headers, { 'x-multi': ['a', 'b', 'c'], 'content-type': 'text/plain', 'set-cookie': ['k1=v1', 'k2=v2'] });
  t.equal(checks.sentBefore, false);
  t.equal(checks.sentAfter, true);
  t.equal(checks.lateCode, 'ERR_HTTP_HEADERS_SENT');
});

t.test('writeHead in all its forms, reason phrases, several Set-Cookie', async (t) => {
  const { port } = await startNode(t, (req, res) => {
    switch (req.url) {
      case '/object':
        res.setHeader('x-before', 'kept');
        res.writeHead(201, { 'Content-Type': 'text/plain', 'Set-Cookie': ['a=1', 'b=2'] }).end('object');
        return;
      case '/reason':
        res.writeHead(299, 'Very Custom', { 'x-r': 'y' });
        res.end();
        return;
      case '/pairs':
        res.writeHead(200, [
          ['Set-Cookie', 'p=1'],
          ['Set-Cookie', 'q=2'],
          ['X-Pair', 'z'],
        ]);
        res.end('pairs');
        return;
      case '/flat':
        res.writeHead(200, ['Set-Cookie', 'f=1', 'set-cookie', 'g=2', 'X-Flat', 'w']);
        res.end('flat');
        return;
      case '/status-only':
        res.writeHead(404);
        res.end();
        return;
    }
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({ target: '/object' }));
  let [r] = await c.readResponses(1);
  t.equal(r.status, 201);
  t.equal(r.reason, 'Created');
  t.equal(r.headers['x-before'], 'kept', 'setHeader fields merged with writeHead fields');
  t.same(headerValues(r, 'set-cookie'), ['a=1', 'b=2']);
  t.equal(r.body.toString(), 'object');

  await c.write(buildRequest({ target: '/reason' }));
  [r] = await c.readResponses(1);
  t.equal(r.status, 299);
  t.equal(r.reason, 'Very Custom');
  t.equal(r.headers['x-r'], 'y');

  await c.write(buildRequest({ target: '/pairs' }));
  [r] = await c.readResponses(1);
  t.same(headerValues(r, 'set-cookie'), ['p=1', 'q=2'], 'array of pairs');
  t.equal(r.headers['x-pair'], 'z');

  await c.write(buildRequest({ target: '/flat' }));
  [r] = await c.readResponses(1);
  t.same(headerValues(r, 'set-cookie'), ['f=1', 'g=2'], 'flat raw array');
  t.equal(r.headers['x-flat'], 'w');

  await c.write(buildRequest({ target: '/status-only' }));
  [r] = await c.readResponses(1);
  t.equal(r.status, 404);
  t.equal(r.reason, 'Not Found');
  t.equal(r.body.length, 0, 'empty body (syshttp frames it with Content-Length: 0, node:http chunked)');
});

t.test("node's error codes for misuse", async (t) => {
  const codes: Record<string, unknown> = {};
  const capture = (name: string, fn: () => unknown) => {
    try {
      fn();
      codes[name] = 'no error';
    } catch (err) {
      codes[name] = (err as NodeJS.ErrnoException).code;
    }
  };
  const { url } = await startNode(t, (req, res) => {
    capture('badName', () => res.setHeader('bad name', 'x'));
    capture('badValue', () => res.setHeader('x', 'a\nb'));
    capture('undefinedValue', () => res.setHeader('x', undefined as unknown as string));
    capture('writeHeadBadName', () => res.writeHead(200, { 'bad name': 'x' }));
    capture('writeHeadBadValue', () => res.writeHead(200, { 'x-ok': 'a\r\nb' }));
    capture('badStatus', () => res.writeHead(1000));
    capture('oddFlat', () => res.writeHead(200, ['a', 'b', 'c'] as unknown as string[]));
    capture('badChunk', () => res.write(123 as unknown as string));
    res.end('fine', () => {
      res.write('late', (err) => {
        codes.afterEndCallback = err?.code;
      });
    });
    res.on('error', (err: NodeJS.ErrnoException) => {
      codes.afterEndEvent = err.code;
    });
  });
  const r = await request(`${url}/`);
  t.equal(r.statusCode, 200, 'the response still goes out after the refused calls');
  t.equal(await r.body.text(), 'fine');
  await waitFor(() => codes.afterEndCallback !== undefined, 2000, 'the write-after-end error');
  await sleep(50);
  t.equal(codes.badName, 'ERR_INVALID_HTTP_TOKEN');
  t.equal(codes.badValue, 'ERR_INVALID_CHAR');
  t.equal(codes.undefinedValue, 'ERR_HTTP_INVALID_HEADER_VALUE');
  t.equal(codes.writeHeadBadName, 'ERR_INVALID_HTTP_TOKEN');
  t.equal(codes.writeHeadBadValue, 'ERR_INVALID_CHAR');
  t.equal(codes.badStatus, 'ERR_HTTP_INVALID_STATUS_CODE');
  t.equal(codes.oddFlat, 'ERR_INVALID_ARG_VALUE');
  t.equal(codes.badChunk, 'ERR_INVALID_ARG_TYPE');
  t.equal(codes.afterEndCallback, 'ERR_STREAM_WRITE_AFTER_END');
  t.equal(codes.afterEndEvent, undefined, "no 'error' event once the response closed (as node:http)");
});

t.test('write/end with encodings and callbacks; finish, then close; state getters', async (t) => {
  const order: string[] = [];
  const state: Record<string, unknown> = {};
  const { url } = await startNode(t, (req, res) => {
    res.setHeader('content-type', 'text/plain; charset=latin1');
    res.write('68656c6c6f20', 'hex', () => order.push('write1'));
    res.write('d29ybGQ=', 'base64');
    res.write(' caf\xe9', 'latin1', () => order.push('write3'));
    res.write(Buffer.from(' +buf'));
    res.write(new Uint8Array([0x21]));
    state.endedBefore = res.writableEnded;
    res.on('finish', () => {
      order.push('finish');
      state.finishedAtFinish = res.writableFinished;
    });
    res.on('close', () => order.push('close'));
    res.end(' end', 'utf8', () => order.push('end'));
    state.endedAfter = res.writableEnded;
    state.finished = res.finished;
  });
  const r = await request(`${url}/`);
  const body = Buffer.from(await r.body.arrayBuffer());
  t.equal(body.toString('latin1'), 'hello world caf\xe9 +buf! end');
  t.equal(r.headers['transfer-encoding'], 'chunked', 'several writes: chunked');
  await waitFor(() => order.includes('close'), 2000, "'close'");
  t.same(order, ['write1', 'write3', 'finish', 'end', 'close']);
  t.equal(state.endedBefore, false);
  t.equal(state.endedAfter, true);
  t.equal(state.finished, true);
  t.equal(state.finishedAtFinish, true);
});

t.test('end(body) alone: Content-Length; HEAD and 204: no body', async (t) => {
  const { port } = await startNode(t, (req, res) => {
    if (req.url === '/204') {
      res.statusCode = 204;
      res.end();
      return;
    }
    res.end('twelve bytes');
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({}));
  let [r] = await c.readResponses(1);
  t.equal(r.headers['content-length'], '12');
  t.equal(r.chunked, false);
  await c.write(buildRequest({ method: 'HEAD' }));
  [r] = await c.readResponses(1, { isHead: () => true });
  t.equal(r.status, 200);
  t.equal(r.body.length, 0);
  await c.write(buildRequest({ target: '/204' }));
  [r] = await c.readResponses(1);
  t.equal(r.status, 204);
  t.equal(r.body.length, 0);
  await c.write(buildRequest({}));
  [r] = await c.readResponses(1);
  t.equal(r.body.toString(), 'twelve bytes', 'the connection is still in step');
});

t.test('res.strictContentLength: a write past the Content-Length, an end() short of it, throw ERR_HTTP_CONTENT_LENGTH_MISMATCH before sending', async (t) => {
  const seen: Record<string, string[]> = {};
  const attempt = (log: string[], what: string, fn: () => unknown): void => {
    try {
      fn();
      log.push(`${what} ok`);
    } catch (err) {
      log.push(`${what} ${(err as NodeJS.ErrnoException).code} ${(err as Error).constructor.name}`);
    }
  };
  const { port } = await startNode(t, (req, res) => {
    const log: string[] = (seen[req.url ?? ''] = []);
    res.strictContentLength = true;
    res.setHeader('Content-Length', 5);
    if (req.url === '/more') {
      attempt(log, 'write 5', () => res.write('hello'));
      attempt(log, 'write 1', () => res.write('a'));
      attempt(log, 'end', () => res.end());
    } else if (req.url === '/fewer') {
      attempt(log, 'write 1', () => res.write('a'));
      attempt(log, 'end 3', () => res.end('aaa'));
      attempt(log, 'end 4', () => res.end('aaaa'));
    } else {
      attempt(log, 'write 2', () => res.write('ab'));
      attempt(log, 'end', () => res.end());
      res.destroy();
    }
  });
  let r = await rawRequest(port, buildRequest({ target: '/more' }), { responses: 1 });
  t.equal(r.parsed.responses[0]?.body.toString(), 'hello');
  r = await rawRequest(port, buildRequest({ target: '/fewer' }), { responses: 1 });
  t.equal(r.parsed.responses[0]?.body.toString(), 'aaaaa', 'the refused end(chunk) sent nothing');
  await rawRequest(port, buildRequest({ target: '/short' }));
  t.same(seen, {
    '/more': ['write 5 ok', 'write 1 ERR_HTTP_CONTENT_LENGTH_MISMATCH Error', 'end ok'],
    '/fewer': ['write 1 ok', 'end 3 ERR_HTTP_CONTENT_LENGTH_MISMATCH Error', 'end 4 ok'],
    '/short': ['write 2 ok', 'end ERR_HTTP_CONTENT_LENGTH_MISMATCH Error'],
  });
});

t.test('a 204 or 304 the app frames chunked: node:http says Connection: close after Date, sends no last chunk and closes', async (t) => {
  const { port } = await startNode(t, (req, res) => {
    res.writeHead(Number(req.url?.slice(1)), { 'Transfer-Encoding': 'chunked' });
    res.end();
  });
  for (const status of [204, 304]) {
    const c = await openRaw(t, port);
    await c.write(buildRequest({ target: `/${status}` }));
    t.ok(await c.waitClose(), `${status}: the connection closes`);
    const text = c.data.toString('latin1');
    t.match(text, new RegExp(`^HTTP/1\\.1 ${status} `), `${status}: the status`);
    t.match(text, /\r\nDate: [^\r]+\r\nConnection: close\r\n\r\n$/, `${status}: Connection: close last, after Date; nothing after the head`);
  }
});

t.test("writeEarlyHints takes Link values in node's format only", async (t) => {
  const thrown: string[] = [];
  const { port } = await startNode(t, (req, res) => {
    for (const link of ['</>; ', 'rel=preload; </scripts.js>', 'invalid string', '<a>\r\nX-Injected: 1']) {
      try {
        res.writeEarlyHints({ link });
        thrown.push('none');
      } catch (err) {
        thrown.push((err as NodeJS.ErrnoException).code ?? 'no code');
      }
    }
    res.writeEarlyHints({ link: ['</style.css>; rel=preload; as=style', '</app.js>;rel=preload;as="script"'] });
    res.end('ok');
  });
  const r = await rawRequest(port, buildRequest({}), { responses: 1 });
  t.same(thrown, ['ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_VALUE']);
  const text = r.data.toString('latin1');
  t.match(text, /^HTTP\/1\.1 103 Early Hints\r\nLink: <\/style\.css>; rel=preload; as=style, <\/app\.js>;rel=preload;as="script"\r\n\r\nHTTP\/1\.1 200 OK\r\n/, 'the good ones go out in one 103, as given');
});

t.test('writeHead() without a Content-Length, then end(body) or end(): chunked, as node decides the framing at writeHead; an HTTP/1.0 body ends with the close', async (t) => {
  const { port } = await startNode(t, (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    if (req.url === '/empty') res.end();
    else res.end('bye');
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({}));
  let [r] = await c.readResponses(1);
  t.equal(r.headers['transfer-encoding'], 'chunked');
  t.equal(r.headers['content-length'], undefined);
  t.equal(r.body.toString(), 'bye');
  t.match(c.data.toString('latin1'), /\r\n\r\n3\r\nbye\r\n0\r\n\r\n$/, 'one chunk and the last chunk');
  await c.write(buildRequest({ target: '/empty' }));
  [r] = await c.readResponses(1);
  t.equal(r.headers['transfer-encoding'], 'chunked');
  t.equal(r.body.length, 0);
  t.match(c.data.toString('latin1'), /\r\n\r\n0\r\n\r\n$/, 'only the last chunk');
  const old = await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n');
  t.match(old.data.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
  t.notMatch(old.data.toString('latin1'), /content-length|transfer-encoding/i, 'HTTP/1.0: no framing field');
  t.match(old.data.toString('latin1'), /\r\n\r\nbye$/);
  t.ok(old.closed, 'the close ends the body');
});

t.test("end() right after req.resume(): the body still flows to its 'end', trailers too, as node:http's parser delivers it", async (t) => {
  const seen: { bytes: number; trailers?: string[]; ended: boolean } = { bytes: 0, ended: false };
  const { port } = await startNode(t, (req, res) => {
    req.on('data', (d: Buffer) => (seen.bytes += d.length));
    req.on('end', () => {
      seen.ended = true;
      seen.trailers = [...req.rawTrailers];
    });
    req.resume();
    res.end('x');
  });
  const c = await openRaw(t, port);
  await c.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n7\r\ny b a r\r\n0\r\nx-bAr: yOyOyOy\r\n\r\n');
  const [r] = await c.readResponses(1);
  t.equal(r.body.toString(), 'x');
  await waitFor(() => seen.ended, 2000, "req 'end'");
  t.equal(seen.bytes, 7, 'every body byte');
  t.same(seen.trailers, ['x-bAr', 'yOyOyOy']);
  await c.write(buildRequest({}));
  const [next] = await c.readResponses(1);
  t.equal(next.status, 200, 'the connection is still in step');
});

t.test("a paused request that someone listens on when the response ends: the server dumps it (node's _dump), and a 'data' listener added then sees its body", async (t) => {
  const seen = { resumed: false, dataListeners: -1, bytes: 0, ended: false };
  const { port } = await startNode(t, (req, res) => {
    req.pause();
    req.on('data', () => t.fail('the dump removes the listeners from before'));
    req.on('resume', () => {
      seen.resumed = true;
      seen.dataListeners = req.listenerCount('data');
      req.on('data', (d: Buffer) => (seen.bytes += d.length));
      req.on('end', () => (seen.ended = true));
    });
    res.end('x');
  });
  const c = await openRaw(t, port);
  await c.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nab');
  const [r] = await c.readResponses(1);
  t.equal(r.body.toString(), 'x');
  await sleep(50);
  await c.write('cdef');
  await waitFor(() => seen.ended, 2000, "req 'end'");
  t.ok(seen.resumed, "req 'resume' (the dump)");
  t.equal(seen.dataListeners, 0, 'no data listener left by the dump');
  // node:http drops what arrives after the dump (its parser pushes no more); syshttp
  // still delivers it to whoever listens.
  if (againstNode) t.equal(seen.bytes, 2, 'the bytes that came before the response ended');
  else t.equal(seen.bytes, 6, 'every body byte, the late ones too');
  await c.write(buildRequest({}));
  const [next] = await c.readResponses(1);
  t.equal(next.status, 200, 'the connection is still in step');
});

t.test('a body still arriving when the response completes goes on to its end; a client gone mid-body aborts it', async (t) => {
  const seen: Record<string, { bytes: number; events: string[] }> = {};
  const { port } = await startNode(t, (req, res) => {
    const s = (seen[req.url!] = { bytes: 0, events: [] });
    req.on('data', (d: Buffer) => (s.bytes += d.length));
    for (const e of ['end', 'aborted', 'close']) req.on(e, () => s.events.push(e));
    req.on('error', () => s.events.push('error'));
    res.end('x');
  });
  const late = net.connect(port, '127.0.0.1');
  t.teardown(() => late.destroy());
  late.on('error', () => {});
  late.resume();
  await once(late, 'connect');
  late.write('POST /late HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\n\r\n' + 'a'.repeat(5));
  await sleep(200);
  late.write('b'.repeat(200000 - 5));
  await waitFor(() => seen['/late']?.events.includes('end'), 3000, "req 'end'");
  t.equal(seen['/late'].bytes, 200000, 'every byte, the late ones too');
  if (!againstNode) {
    // (node:http hears nothing of it once the response is done)
    const gone = net.connect(port, '127.0.0.1');
    gone.on('error', () => {});
    await once(gone, 'connect');
    gone.write('POST /gone HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n' + 'a'.repeat(5));
    await waitFor(() => seen['/gone'] !== undefined, 2000, 'the request');
    await sleep(100);
    gone.destroy();
    await waitFor(() => seen['/gone'].events.includes('close'), 3000, "req 'close'");
    t.ok(seen['/gone'].events.includes('aborted'), `aborted (${seen['/gone'].events.join(', ')})`);
  }
});

t.test('flushHeaders sends the head before the body', async (t) => {
  let finish: (() => void) | null = null;
  const { port } = await startNode(t, (req, res) => {
    res.setHeader('x-early', 'yes');
    res.flushHeaders();
    finish = () => res.end('later');
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({}));
  await c.waitForText('\r\n\r\n');
  t.match(c.data.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
  t.match(c.data.toString('latin1'), /x-early: yes/i);
  await waitFor(() => finish !== null, 2000, 'handler');
  (finish as unknown as () => void)();
  const [r] = await c.readResponses(1);
  t.equal(r.body.toString(), 'later');
});

t.test("write() returns false under backpressure, then 'drain'", async (t) => {
  const chunk = Buffer.alloc(256 * 1024, 0x62);
  const stats = { writes: 0, falseAt: -1, drains: 0 };
  const { port } = await startNode(t, (req, res) => {
    res.setHeader('content-type', 'application/octet-stream');
    const pump = () => {
      while (stats.writes < 64) {
        stats.writes++;
        if (!res.write(chunk)) {
          if (stats.falseAt === -1) stats.falseAt = stats.writes;
          t.equal(res.writableNeedDrain, true, 'writableNeedDrain while full');
          res.once('drain', () => {
            stats.drains++;
            pump();
          });
          return;
        }
      }
      res.end();
    };
    pump();
  });
  const c = await openRaw(t, port);
  c.socket.pause();
  await c.write(buildRequest({}));
  await waitFor(() => stats.falseAt !== -1, 5000, 'a write returning false');
  t.ok(stats.writes < 64, 'the writer stopped');
  c.socket.resume();
  const [r] = await c.readResponses(1, { timeoutMs: 20_000 });
  t.equal(r.body.length, 64 * chunk.length);
  t.ok(stats.drains >= 1, "'drain' came");
});

t.test("a client that goes away: req 'aborted' and 'close', res 'close' without 'finish'", async (t) => {
  const events: string[] = [];
  let destroyedAtClose: boolean | null = null;
  const { port } = await startNode(t, (req, res) => {
    req.on('aborted', () => events.push('req aborted'));
    req.on('close', () => events.push('req close'));
    res.on('finish', () => events.push('res finish'));
    res.on('close', () => {
      destroyedAtClose = res.destroyed;
      events.push('res close');
    });
    req.socket.on('close', () => events.push('socket close'));
    res.write('partial');
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({ method: 'POST', headers: [['Content-Length', 100]], body: 'only some' }));
  await c.waitForText('partial');
  c.socket.resetAndDestroy();
  await waitFor(() => events.includes('res close') && events.includes('socket close') && events.includes('req close'), 5000, 'events');
  t.ok(events.includes('req aborted'), "req 'aborted' (the body was incomplete)");
  t.notOk(events.includes('res finish'), "no 'finish'");
  t.equal(destroyedAtClose, true);
});

t.test('Expect: 100-continue: automatic, checkContinue, checkExpectation', async (t) => {
  t.test('no checkContinue listener: the 100 goes out when the body is read', async (t) => {
    const { port } = await startNode(t, (req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => res.end(`got ${Buffer.concat(parts)}`));
    });
    const c = await openRaw(t, port);
    await c.write(buildRequest({ method: 'POST', headers: [['Content-Length', 4], ['Expect', '100-continue']] }));
    await c.waitForText('HTTP/1.1 100 Continue\r\n\r\n');
    await c.write('body');
    const [r] = await c.readResponses(1);
    t.equal(r.body.toString(), 'got body');
  });

  t.test("checkContinue: the app decides; writeContinue() sends the 100", async (t) => {
    let calls = 0;
    const { server, port } = await startNode(t, () => t.fail("'request' must not be emitted"));
    server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      calls++;
      if (req.url === '/no') {
        res.writeHead(417);
        res.end();
        return;
      }
      res.writeContinue();
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => res.end(`continued ${Buffer.concat(parts)}`));
    });
    const c = await openRaw(t, port);
    await c.write(buildRequest({ method: 'POST', headers: [['Content-Length', 2], ['Expect', '100-continue']] }));
    await c.waitForText('100 Continue');
    await c.write('ok');
    const [r] = await c.readResponses(1);
    t.equal(r.body.toString(), 'continued ok');
    const no = await rawRequest(port, buildRequest({ method: 'POST', target: '/no', headers: [['Content-Length', 2], ['Expect', '100-continue']] }));
    t.equal(no.parsed.responses[0]?.status, 417);
    t.equal(no.parsed.responses[0]?.interim.length, 0, 'no 100 was sent');
    t.equal(calls, 2);
  });

  t.test('another expectation: 417 by default, checkExpectation when listened for', async (t) => {
    const { server, port } = await startNode(t, (req, res) => res.end('plain'));
    let r = await rawRequest(port, buildRequest({ headers: [['Expect', 'something']] }), { responses: 1 });
    t.equal(r.parsed.responses[0]?.status, 417);
    server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => res.end(`expectation ${req.headers.expect}`));
    r = await rawRequest(port, buildRequest({ headers: [['Expect', 'something']] }), { responses: 1 });
    t.equal(r.parsed.responses[0]?.body.toString(), 'expectation something');
  });
});

t.test('writeEarlyHints, cork/uncork, setTimeout and the timeout event', async (t) => {
  const seen: Record<string, unknown> = {};
  const { url } = await startNode(t, (req, res) => {
    if (req.url === '/slow') {
      res.setTimeout(100, () => {
        seen.timeout = true;
        res.end('timed out');
      });
      return;
    }
    res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' }, () => (seen.hintsCallback = true));
    res.cork();
    res.write('a');
    res.write('b');
    res.uncork();
    res.end('c');
  });
  let r = await request(`${url}/`);
  t.equal(await r.body.text(), 'abc');
  t.equal(seen.hintsCallback, true);
  r = await request(`${url}/slow`);
  t.equal(await r.body.text(), 'timed out');
  t.equal(seen.timeout, true);
});

t.test('a kept-alive response announces it as node:http: Connection: keep-alive and Keep-Alive: timeout (and max)', async (t) => {
  const { server, port } = await startNode(t, (req, res) => {
    if (req.url === '/own') res.setHeader('Connection', 'keep-alive');
    if (req.url === '/chunked') res.write('a');
    res.end('b');
  });
  const one = async (target: string, version = 'HTTP/1.1', headers: [string, string][] = []) => {
    const r = await rawRequest(port, buildRequest({ target, version, headers }), { responses: 1, timeoutMs: 2000 });
    const res = r.parsed.responses[0];
    const all = (name: string) => res?.rawHeaders.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
    return { connection: all('connection'), keepAlive: all('keep-alive') };
  };
  t.same(await one('/'), { connection: ['keep-alive'], keepAlive: ['timeout=5'] }, 'a length-framed response');
  t.same(await one('/chunked'), { connection: ['keep-alive'], keepAlive: ['timeout=5'] }, 'a chunked response');
  t.same(await one('/own'), { connection: ['keep-alive'], keepAlive: [] }, "the app's own Connection field: nothing added");
  t.same(await one('/', 'HTTP/1.1', [['Connection', 'close']]), { connection: ['close'], keepAlive: [] }, 'a closing response');
  // Both are read at each response, also when changed after listen().
  server.keepAliveTimeout = 12_500;
  server.maxRequestsPerSocket = 3;
  t.same(await one('/'), { connection: ['keep-alive'], keepAlive: ['timeout=12, max=3'] }, 'after a change');
  server.keepAliveTimeout = 0;
  t.same(await one('/'), { connection: ['keep-alive'], keepAlive: [] }, 'no keepAliveTimeout: no Keep-Alive field');
});

t.test("an app's own Keep-Alive field, or removeHeader('connection'): node:http's keep-alive announcement steps back", async (t) => {
  const { port } = await startNode(t, (req, res) => {
    if (req.url === '/own') res.setHeader('Keep-Alive', 'timeout=50');
    if (req.url === '/removed') res.removeHeader('connection');
    res.end('b');
  });
  const one = async (target: string) => {
    const r = await rawRequest(port, buildRequest({ target }), { responses: 1, timeoutMs: 2000 });
    const res = r.parsed.responses[0];
    const all = (name: string) => res?.rawHeaders.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
    return { connection: all('connection'), keepAlive: all('keep-alive'), closed: r.closed };
  };
  t.same(await one('/own'), { connection: ['keep-alive'], keepAlive: ['timeout=50'], closed: false }, "the app's Keep-Alive only");
  t.same(await one('/removed'), { connection: [], keepAlive: [], closed: false }, 'no Connection field, and the connection stays');
});

t.test('socket.destroy() right after end(): the response still reaches the client, then the connection closes', async (t) => {
  const { port } = await startNode(t, (req, res) => {
    res.end('all of it');
    res.socket?.destroy();
  });
  const r = await rawRequest(port, buildRequest({}), { timeoutMs: 3000 });
  t.equal(r.parsed.responses[0]?.status, 200);
  t.equal(r.parsed.responses[0]?.body.toString(), 'all of it');
  t.ok(r.closed, 'closed after it');
  t.notOk(r.reset, 'with a FIN, not a reset');
});

t.test('raw writes on req.socket in place of a response (a hijacked reply): the bytes go out as written', async (t) => {
  const closes: string[] = [];
  const { port } = await startNode(t, (req, res) => {
    res.on('close', () => closes.push('res'));
    req.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n');
    req.socket.write('hijacked', () => req.socket.end());
  });
  const r = await rawRequest(port, buildRequest({}), { timeoutMs: 3000 });
  t.equal(r.data.toString('latin1'), 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nhijacked', 'exactly the bytes written');
  t.ok(r.closed, 'closed after the end');
  await waitFor(() => closes.length === 1, 2000, "res 'close'");
});

t.test('socket.destroy() mid-response: bytes written in an earlier tick go out, a write() of the same tick does not (node corks it)', async (t) => {
  const { port } = await startNode(t, (req, res) => {
    if (req.url === '/later') {
      res.write('early', () => res.socket?.destroy());
      return;
    }
    res.write('same tick');
    res.socket?.destroy();
  });
  const later = await rawRequest(port, buildRequest({ target: '/later' }), { timeoutMs: 3000 });
  t.ok(later.closed);
  t.match(later.data.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n5\r\nearly\r\n$/, 'the head and the chunk written before, no last chunk');
  const same = await rawRequest(port, buildRequest({ target: '/same' }), { timeoutMs: 3000 });
  t.ok(same.closed);
  t.equal(same.data.length, 0, 'nothing');
});

t.test('maxRequestsPerSocket as node:http documents it: the last allowed response says close, the connection stays, the next request gets 503 and the close', async (t) => {
  const last: boolean[] = [];
  const { server, port } = await startNode(t, (req, res) => {
    res.end('x');
    last.push((res as unknown as { _last: boolean })._last);
  });
  server.maxRequestsPerSocket = 2;
  const c = await openRaw(t, port);
  await c.write(buildRequest({}));
  const [a] = await c.readResponses(1);
  t.not(a.headers.connection, 'close');
  await c.write(buildRequest({}));
  const [b] = await c.readResponses(1);
  t.equal(b.headers.connection, 'close');
  t.same(last, [false, false], 'res._last: the close is only announced');
  await c.write(buildRequest({}));
  const [third] = await c.readResponses(1);
  t.equal(third.status, 503, 'the request after the limit: 503');
  t.equal(third.headers.connection, 'close');
  // node:http leaves even that connection to the client; syshttp closes it (RFC 9112 §9.6).
  if (!againstNode) t.ok(await c.waitClose(2000), 'then the connection closes');
});

t.test("maxRequestsPerSocket: requests pipelined beyond it never reach the app and are told by 'dropRequest'", async (t) => {
  const urls: string[] = [];
  const dropped: string[] = [];
  const { server, port } = await startNode(t, (req, res) => {
    urls.push(String(req.url));
    res.end('x');
  });
  server.maxRequestsPerSocket = 1;
  server.on('dropRequest', (req: http.IncomingMessage, socket: net.Socket) => dropped.push(`${req.url} ${typeof socket.remotePort}`));
  const r = await rawRequest(port, Buffer.concat([buildRequest({ target: '/1' }), buildRequest({ target: '/2' })]));
  t.equal(r.parsed.responses[0]?.status, 200, 'the first is answered');
  t.same(urls, ['/1'], 'only the first reached the app');
  await waitFor(() => dropped.length === 1, 2000, "'dropRequest'");
  t.same(dropped, ['/2 number'], "'dropRequest' with the request and its socket");
});

t.test('a header value of undefined in an array goes out as node:http sends it', async (t) => {
  const { port } = await startNode(t, (req, res) => {
    res.setHeader('X-U', [undefined as unknown as string]);
    res.end('ok');
  });
  const r = await rawRequest(port, buildRequest({}), { responses: 1 });
  t.same(headerValues(r.parsed.responses[0]!, 'x-u'), ['undefined']);
});

t.test('requests on one connection: each gets its own target and fields, also where they differ by one byte', async (t) => {
  const seen: string[] = [];
  const { port } = await startNode(t, (req, res) => {
    seen.push(`${req.url} ${req.rawHeaders.join('|')}`);
    res.end('ok');
  });
  const c = await openRaw(t, port);
  const specs: [string, string][] = [
    ['/a1', 'x1'],
    ['/a2', 'x1'],
    ['/a2', 'x2'],
    ['/a2', 'x2'],
    ['/a22', 'x'],
  ];
  for (const [target, value] of specs) {
    await c.write(buildRequest({ target, headers: [['X-V', value]] }));
    await c.readResponses(1);
  }
  t.same(seen, specs.map(([target, value]) => `${target} Host|localhost|X-V|${value}`));
});


t.test("requests repeating the previous one's fields: each gets them whole, whatever the app did to the last one's rawHeaders", async (t) => {
  const seen: string[] = [];
  const { server, port } = await startNode(t, (req, res) => {
    seen.push(`${req.url} ${req.rawHeaders.join('|')}`);
    // An app that edits rawHeaders (a proxy's clean-up, say) changes its own request only.
    req.rawHeaders[1] = 'edited';
    if (req.url === '/3') req.rawHeaders.push('X-Added', 'yes');
    res.end('ok');
  });
  const c = await openRaw(t, port);
  const fields: [string, string][] = [['Accept', 'text/plain,*/*;q=0.8'], ['X-V', 'same']];
  const expected = (target: string, count = 3) =>
    `${target} ${['Host', 'localhost', 'Accept', 'text/plain,*/*;q=0.8', 'X-V', 'same'].slice(0, 2 * count).join('|')}`;
  for (const target of ['/1', '/2', '/3']) {
    await c.write(buildRequest({ target, headers: fields }));
    await c.readResponses(1);
  }
  // Pipelined in one write: the repeats arrive in one batch.
  await c.write(Buffer.concat(['/4', '/5', '/6'].map((target) => buildRequest({ target, headers: fields }))));
  await c.readResponses(3);
  t.same(seen, ['/1', '/2', '/3', '/4', '/5', '/6'].map((target) => expected(target)));
  if (againstNode) return;  // node:http reads maxHeadersCount once per connection
  // maxHeadersCount changed between two identical heads: the new count holds.
  server.maxHeadersCount = 2;
  await c.write(buildRequest({ target: '/7', headers: fields }));
  await c.readResponses(1);
  t.equal(seen[6], expected('/7', 2));
});
t.test("removeHeader of the framing fields: no Content-Length means chunked, neither field means the close ends the body", async (t) => {
  const { port } = await startNode(t, (req, res) => {
    res.removeHeader('content-length');
    if (req.url === '/neither') {
      res.removeHeader('transfer-encoding');
      res.removeHeader('connection');
    }
    res.end('beep boop');
  });
  const chunkedOnly = await rawRequest(port, buildRequest({ target: '/length' }), { responses: 1 });
  const a = chunkedOnly.parsed.responses[0]!;
  t.same(headerValues(a, 'transfer-encoding'), ['chunked']);
  t.same(headerValues(a, 'content-length'), []);
  t.equal(a.body.toString(), 'beep boop');
  const neither = await rawRequest(port, buildRequest({ target: '/neither' }), { timeoutMs: 3000 });
  t.ok(neither.closed, 'the close ends the body');
  const b = neither.parsed.responses[0]!;
  t.same([headerValues(b, 'transfer-encoding'), headerValues(b, 'content-length'), headerValues(b, 'connection')], [[], [], []]);
  t.equal(b.body.toString(), 'beep boop');
});

t.test('an app\'s own Transfer-Encoding: chunked frames the body chunked even when end() knows it whole, as node:http', async (t) => {
  const { port } = await startNode(t, (req, res) => {
    if (req.url === '/set') res.setHeader('Transfer-Encoding', 'chunked');
    else res.writeHead(200, { 'transfer-encoding': 'chunked' });
    res.end('beep boop');
  });
  for (const target of ['/set', '/writeHead']) {
    const r = await rawRequest(port, buildRequest({ target }), { responses: 1 });
    const a = r.parsed.responses[0]!;
    t.same(headerValues(a, 'transfer-encoding'), ['chunked'], `${target}: chunked, once`);
    t.same(headerValues(a, 'content-length'), [], `${target}: no Content-Length`);
    t.equal(a.body.toString(), 'beep boop');
  }
});

t.test("uniqueHeaders joins a field's values with '; ', and removeHeader('date') leaves Date out, as node:http", async (t) => {
  const { port } = await startNode(
    t,
    (req, res) => {
      res.setHeader('X-U', ['a', 'b']);
      res.removeHeader('date');
      res.writeHead(200, { 'x-v': ['c', 'd'], 'x-w': ['e', 'f'] });
      res.end('ok');
    },
    { uniqueHeaders: ['x-u', 'X-V'] },
  );
  const r = await rawRequest(port, buildRequest({}), { responses: 1 });
  const res = r.parsed.responses[0]!;
  t.same(headerValues(res, 'x-u'), ['a; b']);
  t.same(headerValues(res, 'x-v'), ['c; d']);
  t.same(headerValues(res, 'x-w'), ['e', 'f'], 'other names: one line each');
  t.same(headerValues(res, 'date'), []);
});

t.test("an app that delays 'finish' delays 'close' too, and a response whose 'finish' listener throws still closes", async (t) => {
  const order: string[] = [];
  const caught: unknown[] = [];
  const listeners = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const onUncaught = (err: unknown) => caught.push(err);
  process.on('uncaughtException', onUncaught);
  t.teardown(() => {
    process.removeListener('uncaughtException', onUncaught);
    for (const l of listeners) process.on('uncaughtException', l);
  });
  const { port } = await startNode(t, (req, res) => {
    if (req.url === '/delay') {
      const emit = res.emit;
      res.emit = function (this: http.ServerResponse, event: string, ...args: unknown[]) {
        if (event !== 'finish') return emit.call(this, event, ...args);
        setTimeout(() => {
          order.push('finish');
          emit.call(this, event, ...args);
        }, 100);
        return true;
      } as typeof res.emit;
      res.on('close', () => order.push('close'));
    } else if (req.url === '/throw') {
      res.on('finish', () => {
        throw new Error('listener failed');
      });
      res.on('close', () => order.push('closed after the throw'));
    }
    res.end(String(req.url));
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({ target: '/delay' }));
  await c.readResponses(1);
  await waitFor(() => order.length === 2, 2000, "'finish' and 'close'");
  t.same(order, ['finish', 'close'], "'close' after the delayed 'finish'");
  await c.write(buildRequest({ target: '/throw' }));
  await c.readResponses(1);
  await waitFor(() => caught.length === 1, 2000, 'the uncaught exception');
  await waitFor(() => order.length === 3, 2000, "res 'close' after the throw");
  await c.write(buildRequest({ target: '/next' }));
  const [next] = await c.readResponses(1);
  t.equal(next.body.toString(), '/next', 'the connection serves on');
});

t.test('keepAliveTimeout set after listen() is the idle time that closes the connection', async (t) => {
  const { server, port } = await startNode(t, (req, res) => res.end('ok'));
  server.keepAliveTimeout = 300;
  const c = await openRaw(t, port);
  await c.write(buildRequest({}));
  const [r] = await c.readResponses(1);
  t.equal(r.headers['keep-alive'], 'timeout=0', 'announced in whole seconds, as node:http');
  const started = Date.now();
  t.ok(await c.waitClose(4000), 'closed when idle');
  const idleFor = Date.now() - started;
  t.ok(idleFor >= 1200 && idleFor < 3500, `after it and node's 1 s margin, well before the default 5 s (${idleFor} ms)`);
});

t.test('writeHead with repeated names: the fields go out in the order given, not grouped by name', async (t) => {
  const { port } = await startNode(t, (req, res) => {
    res.writeHead(200, [
      ['X-A', '1'],
      ['X-B', '2'],
      ['X-A', '3'],
    ]);
    res.end('ok');
  });
  const r = await rawRequest(port, buildRequest({}), { responses: 1 });
  const names = r.parsed.responses[0]?.rawHeaders.map(([n]) => n).filter((n) => n.startsWith('X-'));
  t.same(names, ['X-A', 'X-B', 'X-A']);
});

t.test("an error emitted on a socket before its response started: 400 and the close, no uncaught error even after the app's own socket listener goes", async (t) => {
  const { port } = await startNode(t, (req, res) => {
    const own = () => {};
    req.socket.on('error', own);  // as on-finished does, then removes it
    req.socket.emit('error', new Error('boom'));
    req.socket.removeListener('error', own);
    t.equal(req.socket.listeners('error').length, 1, "node's own listener stays");
    void res;
  });
  const r = await rawRequest(port, buildRequest({}), { timeoutMs: 3000 });
  t.equal(r.parsed.responses[0]?.status, 400);
  t.ok(r.closed);
});

t.test("an error emitted on a connection's socket ends the connection when no 'clientError' listener takes it", async (t) => {
  const { port } = await startNode(t, (req, res) => {
    res.write('part', () => res.socket?.emit('error', new Error('kaboom')));
  });
  const r = await rawRequest(port, buildRequest({}), { timeoutMs: 3000 });
  t.ok(r.closed, 'the connection closes (it stayed open before)');
  t.equal(r.parsed.responses.length, 0, 'the response never completes');
});

t.test('a request listener that throws is an uncaught exception, and the server keeps serving', async (t) => {
  const caught: unknown[] = [];
  const handler = (err: unknown) => caught.push(err);
  const listeners = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', handler);
  t.teardown(() => {
    process.removeListener('uncaughtException', handler);
    for (const l of listeners) process.on('uncaughtException', l);
  });
  const { port } = await startNode(t, (req, res) => {
    if (req.url === '/throw') throw new Error('listener failed');
    res.end('fine');
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({ target: '/throw' }));
  await waitFor(() => caught.length === 1, 2000, 'the uncaught exception');
  t.equal((caught[0] as Error).message, 'listener failed');
  const r = await rawRequest(port, buildRequest({}), { responses: 1 });
  t.equal(r.parsed.responses[0]?.body.toString(), 'fine');
});

t.test('res.destroy(err) resets the connection without an uncaught error; req.destroy() mid-body too', async (t) => {
  const events: string[] = [];
  const { port } = await startNode(t, (req, res) => {
    res.on('close', () => events.push(`close ${req.url}`));
    if (req.url === '/res') {
      res.write('partial');
      setTimeout(() => res.destroy(new Error('handler gave up')), 20);
    } else {
      req.once('data', () => req.destroy());
    }
  });
  const a = await openRaw(t, port);
  await a.write(buildRequest({ target: '/res' }));
  t.ok(await a.waitClose(3000), 'res.destroy(err): the connection closed');
  const b = await openRaw(t, port);
  await b.write(buildRequest({ method: 'POST', target: '/req', headers: [['Content-Length', 1000]], body: 'some' }));
  t.ok(await b.waitClose(3000), 'req.destroy() before the body ended: the connection closed');
  await waitFor(() => events.length === 2, 3000, "both responses' close");
  t.same(events.sort(), ['close /req', 'close /res']);
});

t.test('HTTP/1.0 with Connection: keep-alive: the connection (and its socket) stays', async (t) => {
  let connections = 0;
  const sockets = new Set<unknown>();
  const { server, port } = await startNode(t, (req, res) => {
    sockets.add(req.socket);
    res.setHeader('Content-Length', 1);  // node:http closes an HTTP/1.0 response it cannot frame
    res.end('k');
  });
  server.on('connection', () => connections++);
  const c = await openRaw(t, port);
  await c.write(buildRequest({ version: 'HTTP/1.0', headers: [['Connection', 'keep-alive']] }));
  const [a] = await c.readResponses(1);
  await c.write(buildRequest({ version: 'HTTP/1.0', headers: [['Connection', 'keep-alive']] }));
  const [b] = await c.readResponses(1);
  t.equal(a.body.toString() + b.body.toString(), 'kk');
  t.equal(connections, 1);
  t.equal(sockets.size, 1, 'one socket object');
});

t.test('a body the native side refuses (too large, malformed): req error with its status; answered when unhandled', async (t) => {
  if (againstNode) return;  // node:http has no body limit; its parser errors go to 'clientError'
  const seen: Array<[string | undefined, number | undefined]> = [];
  const { port } = await startNode(
    t,
    (req, res) => {
      if (req.url === '/handled') {
        req.on('error', (err: NodeJS.ErrnoException & { status?: number }) => {
          seen.push([err.code, err.status]);
          res.statusCode = err.status ?? 500;
          res.end(`handled ${err.status}`);
        });
      }
      req.on('data', () => undefined);
      req.on('end', () => res.end('whole'));
    },
    { limits: { maxRequestBodySize: 10 } },
  );
  let r = await rawRequest(port, buildRequest({ method: 'POST', target: '/handled', headers: [['Content-Length', 20]], body: 'x'.repeat(20) }));
  t.equal(r.parsed.responses[0]?.status, 413);
  t.equal(r.parsed.responses[0]?.body.toString(), 'handled 413', 'the app answered from the error');
  t.same(seen, [['SYSHTTP_ERR_BODY_TOO_LARGE', 413]]);
  t.ok(r.closed, 'and the connection closed');

  r = await rawRequest(port, buildRequest({ method: 'POST', headers: [['Content-Length', 20]], body: 'x'.repeat(20) }));
  t.equal(r.parsed.responses[0]?.status, 413, 'no error listener: the server answers 413');
  t.ok(r.closed);
  r = await rawRequest(port, Buffer.concat([buildRequest({ method: 'POST', headers: [['Transfer-Encoding', 'chunked']] }), Buffer.from('zz\r\n')]));
  t.equal(r.parsed.responses[0]?.status, 400, 'a malformed chunked body: 400');
  t.ok(r.closed);
  r = await rawRequest(port, buildRequest({ method: 'POST', headers: [['Content-Length', 5]], body: 'hello' }), { responses: 1 });
  t.equal(r.parsed.responses[0]?.body.toString(), 'whole', 'a body within the limit');
});

t.test('server options highWaterMark and rejectNonStandardBodyWrites reach req, res and the socket, as node:http', async (t) => {
  const seen: string[] = [];
  const { port } = await startNode(
    t,
    (req, res) => {
      seen.push(`hwm req=${req.readableHighWaterMark} res=${res.writableHighWaterMark} socket=${req.socket.readableHighWaterMark}`);
      res.writeHead(req.method === 'HEAD' ? 200 : 204);
      try {
        res.write('body');
        seen.push('write: no error');
      } catch (err) {
        seen.push(`write: ${(err as NodeJS.ErrnoException).code} ${(err as Error).message}`);
      }
      res.end();
    },
    { highWaterMark: 32768, rejectNonStandardBodyWrites: true },
  );
  for (const method of ['GET', 'HEAD']) {
    const r = await rawRequest(port, buildRequest({ method }), { responses: 1, isHead: () => method === 'HEAD' });
    t.equal(r.parsed.responses[0]?.body.length, 0, `${method}: no body went out`);
  }
  const refused = 'write: ERR_HTTP_BODY_NOT_ALLOWED Adding content for this request method or response status is not allowed.';
  t.same(seen, ['hwm req=32768 res=32768 socket=32768', refused, 'hwm req=32768 res=32768 socket=32768', refused]);
});

t.test("end(chunk) after end(): its callback and an 'error' event, both before 'close', which comes a tick after 'finish' (as node:http)", async (t) => {
  const log: string[] = [];
  let done!: () => void;
  const closed = new Promise<void>((resolve) => (done = resolve));
  const { port } = await startNode(t, (req, res) => {
    res.end('first', () => log.push('end callback'));
    res.end('again', (err?: Error | null) => log.push(`late callback ${(err as NodeJS.ErrnoException).code}`));
    res.on('error', (err: NodeJS.ErrnoException) => log.push(`error ${err.code}`));
    res.on('finish', () => log.push(`finish socket=${res.socket === null ? 'detached' : 'attached'}`));
    res.on('close', () => {
      log.push('close');
      done();
    });
  });
  await rawRequest(port, buildRequest({}), { responses: 1 });
  await closed;
  await sleep(20);
  t.same(log, ['end callback', 'finish socket=detached', 'late callback ERR_STREAM_WRITE_AFTER_END', 'error ERR_STREAM_WRITE_AFTER_END', 'close']);
});

t.test('end() twice: the second callback gets ERR_STREAM_ALREADY_FINISHED (the response went out at once)', async (t) => {
  const seen: Record<string, unknown> = {};
  const { url } = await startNode(t, (req, res) => {
    res.end('x', () => (seen.first = true));
    seen.endedAfterEnd = res.writableEnded;
    seen.finishedAfterEnd = res.writableFinished;
    res.end((err?: Error) => (seen.secondErr = (err as NodeJS.ErrnoException | undefined)?.code ?? 'none'));
  });
  const r = await request(`${url}/`);
  t.equal(await r.body.text(), 'x');
  await waitFor(() => seen.secondErr !== undefined && seen.first === true, 2000, 'both end callbacks');
  t.equal(seen.endedAfterEnd, true, 'writableEnded right after end()');
  t.equal(seen.finishedAfterEnd, true, 'writableFinished: nothing is left queued in JS');
  t.equal(seen.secondErr, 'ERR_STREAM_ALREADY_FINISHED');
});

t.test("event order of req, res and socket, as node:http's", async (t) => {
  const logs: Record<string, string[]> = {};
  const { port } = await startNode(t, (req, res) => {
    const log: string[] = (logs[req.url as string] = []);
    for (const e of ['end', 'close', 'aborted']) req.on(e, () => log.push(`req.${e}`));
    for (const e of ['prefinish', 'finish', 'close']) res.on(e, () => log.push(`res.${e}`));
    req.socket.once('close', () => log.push('socket.close'));
    if (req.url === '/read') {
      req.on('data', () => undefined);
      req.on('end', () => res.end('ok'));
    } else if (req.url === '/noread') {
      res.end('ok');
      log.push('(end returned)');
    } else if (req.url === '/abort') {
      res.write('x');
    } else {
      req.on('data', () => undefined);
    }
  });
  const run = async (bytes: Buffer, reset: 'on-data' | 'soon' | 'never') => {
    const c = await openRaw(t, port);
    await c.write(bytes);
    if (reset === 'on-data') await c.waitForText('x');
    else if (reset === 'soon') await sleep(50);
    else await c.readResponses(1);
    if (reset !== 'never') c.socket.resetAndDestroy();
    await sleep(150);
  };
  await run(buildRequest({ method: 'POST', target: '/read', headers: [['Content-Length', 3]], body: 'abc' }), 'never');
  await run(buildRequest({ target: '/noread' }), 'never');
  await run(buildRequest({ target: '/abort' }), 'on-data');
  await run(buildRequest({ method: 'POST', target: '/abort-body', headers: [['Content-Length', 10]], body: 'abc' }), 'soon');
  t.same(logs['/read'], ['req.end', 'res.prefinish', 'res.finish', 'res.close', 'req.close']);
  t.same(logs['/noread'], ['res.prefinish', '(end returned)', 'res.finish', 'res.close', 'req.end', 'req.close']);
  t.same(logs['/abort'], ['req.aborted', 'res.close', 'socket.close', 'req.close']);
  t.same(logs['/abort-body'], ['req.aborted', 'res.close', 'socket.close', 'req.close']);
});

t.test("a connection reset mid-response: the socket's 'close' listeners added before the response took it run before the response's 'close', those added after it after (node's onServerResponseClose)", async (t) => {
  const log: string[] = [];
  const { server, port } = await startNode(t, (req, res) => {
    res.on('close', () => log.push('res close'));
    req.socket.on('close', () => log.push('socket close (added in the handler)'));
    res.write('partial');
  });
  server.on('connection', (socket: import('node:net').Socket) => socket.on('close', () => log.push('socket close (added at connection)')));
  const c = await openRaw(t, port);
  await c.write(buildRequest({}));
  await c.waitForText('partial');
  c.socket.destroy();
  await waitFor(() => log.length === 3, 2000, 'the three');
  t.same(log, ['socket close (added at connection)', 'res close', 'socket close (added in the handler)']);
});

t.test('addTrailers(): the trailer section after the last chunk; dropped where there is no chunked framing', async (t) => {
  const { port } = await startNode(t, (req, res) => {
    if (req.url === '/streamed') {
      res.setHeader('Trailer', 'Content-MD5');
      res.write('ab');
      res.addTrailers({ 'Content-MD5': 'xyz' });
      res.end('cd');
    } else if (req.url === '/whole') {
      res.writeHead(200, { Trailer: 'X-T' });
      res.addTrailers([['X-T', '1'], ['X-T', '2']]);
      res.end('whole');
    } else if (req.url === '/bad') {
      let code = '';
      try {
        res.addTrailers({ 'bad name': 'v' });
      } catch (err) {
        code = (err as NodeJS.ErrnoException).code ?? '';
      }
      res.end(code);
    } else {
      res.setHeader('Trailer', 'X-T');
      res.addTrailers({ 'X-T': 'v' });
      try {
        res.end('old');
      } catch (err) {
        // node:http refuses a Trailer field where it cannot frame the body chunked.
        res.removeHeader('Trailer');
        res.end(`old ${(err as NodeJS.ErrnoException).code}`);
      }
    }
  });
  let r = await rawRequest(port, buildRequest({ target: '/streamed' }), { responses: 1 });
  let res = r.parsed.responses[0];
  t.ok(res.chunked, 'chunked');
  t.equal(res.body.toString(), 'abcd');
  t.same(res.trailers, [['Content-MD5', 'xyz']], 'the trailer field');

  r = await rawRequest(port, buildRequest({ target: '/whole' }), { responses: 1 });
  res = r.parsed.responses[0];
  t.ok(res.chunked, 'a Trailer field makes even a whole body chunked');
  t.equal(res.body.toString(), 'whole');
  t.same(res.trailers, [['X-T', '1'], ['X-T', '2']], 'repeated trailer fields');

  r = await rawRequest(port, buildRequest({ target: '/bad' }), { responses: 1 });
  t.equal(r.parsed.responses[0].body.toString(), 'ERR_INVALID_HTTP_TOKEN', "node's check of the names");

  r = await rawRequest(port, buildRequest({ target: '/old', version: 'HTTP/1.0' }));
  res = r.parsed.responses[0];
  t.notOk(res.chunked, 'HTTP/1.0: no chunked framing');
  t.equal(res.body.toString(), 'old ERR_HTTP_TRAILER_INVALID', 'a Trailer field there is an error; the body then goes without trailers');

  // A real client reads them too.
  const u = await request(`http://127.0.0.1:${port}/streamed`);
  t.equal(await u.body.text(), 'abcd');
  t.equal(u.trailers['content-md5'], 'xyz', 'undici sees the trailer');
});

t.test("a request sent whole with the client's end (FIN): its body is read and the answer goes out, as node:http", async (t) => {
  const { port } = await startNode(t, (req, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => res.end(`got ${body}`));
  });
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (d) => chunks.push(d));
  socket.end(buildRequest({ method: 'POST', headers: [['Content-Length', 5]], body: 'hello' }));
  await new Promise((resolve) => socket.on('close', resolve));
  const text = Buffer.concat(chunks).toString('latin1');
  t.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  t.ok(text.endsWith('\r\n\r\ngot hello'), 'the whole body, answered');
});

t.test('chunk extensions over the limit: 413 with a close when nobody listens for the error', async (t) => {
  const { port } = await startNode(t, (req, res) => {
    req.on('end', () => res.end('bye'));
    req.resume();
  });
  const r = await rawRequest(
    port,
    buildRequest({ method: 'POST', headers: [['Transfer-Encoding', 'chunked']], body: `2;${'a'.repeat(17000)}\r\nAA\r\n0\r\n\r\n` }),
  );
  t.equal(r.parsed.responses[0]?.status, 413);
  t.ok(r.closed, 'the connection closes');
});

t.test("write() of a chunk at the socket's high-water mark or more returns false, then 'drain' (as a socket's write)", async (t) => {
  const seen: unknown[] = [];
  let hwm = 0;
  const { url } = await startNode(t, (_req, res) => {
    hwm = res.writableHighWaterMark;
    seen.push(hwm === (res.socket as { writableHighWaterMark: number }).writableHighWaterMark);
    seen.push(res.write('small'));
    const big = Buffer.alloc(hwm + 100, 120);
    seen.push(res.write(big));
    res.once('drain', () => {
      seen.push('drain');
      seen.push(res.write('x'.repeat(hwm)));  // a string of that many bytes too
      res.once('drain', () => res.end('end'));
    });
  });
  const r = await request(url);
  const body = await r.body.text();
  t.ok(hwm > 0);
  t.equal(body.length, 5 + hwm + 100 + hwm + 3, 'the whole body');
  t.same(seen, [true, true, false, 'drain', false]);
});

t.test("'drain' after a write at the high-water mark waits for a later write that found the connection full", async (t) => {
  const times: Record<string, number> = {};
  let t0 = 0;
  const { port } = await startNode(t, (_req, res) => {
    t0 = Date.now();
    res.on('drain', () => (times.drain ??= Date.now() - t0));
    res.write(Buffer.alloc(res.writableHighWaterMark));
    res.write(Buffer.alloc(8 << 20), () => (times.written ??= Date.now() - t0));
    res.once('drain', () => res.end());
  });
  const c = net.connect(port, '127.0.0.1');
  c.pause();  // nothing is read for 300 ms: 8 MiB cannot have drained before
  c.on('error', () => {});
  c.write(buildRequest({}));
  await sleep(300);
  c.resume();
  await waitFor(() => times.drain !== undefined && times.written !== undefined, 5000, "'drain' and the write's callback");
  c.destroy();
  t.ok(times.drain >= 250, `'drain' once the client read (${times.drain} ms)`);
});

t.test('res.outputSize: what a response queued behind another holds, 0 again once its turn comes', async (t) => {
  const seen: Record<string, number> = {};
  let first: http.ServerResponse | null = null;
  const { port } = await startNode(t, (req, res) => {
    if (first === null) {
      first = res;
      seen.front = res.outputSize;
      res.write('front');
      seen.frontAfterWrite = res.outputSize;  // written straight to the connection
      return;
    }
    seen.queued = res.outputSize;
    res.write(Buffer.alloc(1000, 120));
    seen.afterWrite = res.outputSize;
    res.write(Buffer.alloc(500, 121));
    seen.afterSecondWrite = res.outputSize;
    res.end();
    first.end(() => setImmediate(() => (seen.afterTurn = res.outputSize)));
  });
  const c = await openRaw(t, port);
  await c.write(Buffer.concat([buildRequest({ target: '/1' }), buildRequest({ target: '/2' })]));
  const rs = await c.readResponses(2);
  t.same(rs.map((r) => r.body.length), [5, 1500]);
  await waitFor(() => seen.afterTurn !== undefined, 2000, 'the second response finished');
  t.equal(seen.front, 0);
  t.equal(seen.frontAfterWrite, 0);
  t.equal(seen.queued, 0);
  t.ok(seen.afterWrite > 1000, `the head and the first write: ${seen.afterWrite}`);
  t.ok(seen.afterSecondWrite >= seen.afterWrite + 500, 'grows with each write (node counts chunk framing too)');
  t.equal(seen.afterTurn, 0);
});

t.test('an absolute-form target naming another authority than Host (a proxy-style request) is taken as sent', async (t) => {
  // node:http (and RFC 9112 §3.2.2 for an origin server) takes it; Koa's ctx.href reads it.
  let seen: { url?: string; host?: string } = {};
  const { port } = await startNode(t, (req, res) => {
    seen = { url: req.url, host: req.headers.host };
    res.end('ok');
  });
  const status = await new Promise<number | undefined>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: 'http://example.com/foo?a=1' }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      })
      .on('error', reject);
  });
  t.equal(status, 200);
  t.same(seen, { url: 'http://example.com/foo?a=1', host: `127.0.0.1:${port}` });
});

t.test("an app's own Transfer-Encoding goes out as set: ending in chunked, the body is chunked under it; otherwise the close ends the body", async (t) => {
  const { port } = await startNode(t, (req, res) => {
    res.setHeader('Transfer-Encoding', req.url === '/chunked' ? 'gzip, chunked' : 'gzip');
    res.end('hello');
  });
  const exchange = (target: string) =>
    new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c)).on('error', reject);
      s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
  const split = (text: string) => {
    const i = text.indexOf('\r\n\r\n');
    const lines = text.slice(0, i).split('\r\n').slice(1);
    return {
      te: lines.filter((l) => /^transfer-encoding:/i.test(l)).map((l) => l.slice(l.indexOf(':') + 1).trim()),
      length: lines.some((l) => /^content-length:/i.test(l)),
      body: text.slice(i + 4),
    };
  };
  const plain = split(await exchange('/gzip'));
  t.same(plain.te, ['gzip'], "the app's line, and no chunked of the server's");
  t.notOk(plain.length, 'no Content-Length');
  t.equal(plain.body, 'hello', 'the body as written, ended by the close');
  const chunked = split(await exchange('/chunked'));
  t.same(chunked.te, ['gzip, chunked'], "the app's line only");
  t.notOk(chunked.length, 'no Content-Length');
  t.equal(chunked.body, '5\r\nhello\r\n0\r\n\r\n', 'chunked by the server');
  if (!againstNode) {
    // node sends it to an HTTP/1.0 client too; RFC 9112 §6.1 says not to.
    const old = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET /gzip HTTP/1.0\r\n\r\n'));
      let text = '';
      s.setEncoding('latin1').on('data', (d: string) => (text += d)).on('close', () => resolve(text));
    });
    t.same(split(old).te, [], 'no Transfer-Encoding to an HTTP/1.0 client');
    t.equal(split(old).body, 'hello');
  }
});

t.test('a 1xx status as the final response (res.status(101).end() in Express) goes out with no body, as node:http sends it', async (t) => {
  const { port } = await startNode(t, (req, res) => {
    if (req.url === '/101') res.writeHead(101).end();
    else {
      res.statusCode = 102;
      res.end('ignored: no body with a 1xx');
    }
  });
  for (const [target, line] of [['/101', 'HTTP/1.1 101 Switching Protocols'], ['/102', 'HTTP/1.1 102 Processing']]) {
    const text = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
      let out = '';
      s.setEncoding('latin1').on('data', (d: string) => (out += d)).on('error', reject).on('close', () => resolve(out));
    });
    t.equal(text.slice(0, text.indexOf('\r\n')), line, target);
    t.ok(text.endsWith('\r\n\r\n'), `${target}: a head and nothing after it`);
    t.notMatch(text, /content-length|transfer-encoding/i, `${target}: no framing`);
  }
});
