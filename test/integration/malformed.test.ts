// Malformed and request-smuggling inputs. Each one is answered with exactly one precomputed
// error response (400 unless noted) carrying Connection: close, the server closes the
// connection, a request pipelined behind the bad one is never processed, and the server
// keeps serving everyone else.
import t from 'tap';
import {
  startServer,
  openRaw,
  rawRequest,
  buildRequest,
  expectRejected,
  isRecentHttpDate,
  parseResponses,
  waitFor,
  type Ctx,
} from '../helpers/server';

interface Case {
  name: string;
  bytes: string; // latin1
  status?: number; // default 400
  // the error is in the body: the handler runs (and reads the body) before it is found
  body?: boolean;
}

const H = 'Host: a\r\n';
const chunkedPost = (body: string) => `POST /m HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${body}`;

const cases: Case[] = [
  // framing ambiguity (RFC 9112 §6.1, §6.3)
  { name: 'Content-Length and Transfer-Encoding', bytes: `POST /m HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n` },
  { name: 'Transfer-Encoding and Content-Length', bytes: `POST /m HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n` },
  { name: 'two different Content-Length fields', bytes: `POST /m HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!` },
  { name: 'Content-Length list with different values', bytes: `POST /m HTTP/1.1\r\n${H}Content-Length: 5, 6\r\n\r\nhello!` },
  { name: 'Content-Length with a plus sign', bytes: `POST /m HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello` },
  { name: 'Content-Length negative', bytes: `POST /m HTTP/1.1\r\n${H}Content-Length: -5\r\n\r\nhello` },
  { name: 'Content-Length not a number', bytes: `POST /m HTTP/1.1\r\n${H}Content-Length: 5a\r\n\r\nhello` },
  { name: 'Content-Length empty', bytes: `POST /m HTTP/1.1\r\n${H}Content-Length:\r\n\r\n` },
  { name: 'Transfer-Encoding: chunked not last', bytes: `POST /m HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n` },
  { name: 'Transfer-Encoding split over two lines, chunked first', bytes: `POST /m HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n` },
  // RFC 9112 §6.3 item 4: chunked is not the final coding → MUST 400 (not 501)
  { name: 'Transfer-Encoding: xchunked', bytes: `POST /m HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n` },
  { name: 'unknown transfer coding before chunked → 501', bytes: `POST /m HTTP/1.1\r\n${H}Transfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n`, status: 501 },
  { name: 'Transfer-Encoding on HTTP/1.0', bytes: 'POST /m HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' },

  // line structure (RFC 9112 §2.2, §5.2)
  { name: 'obs-fold (SP)', bytes: `GET /m HTTP/1.1\r\n${H}X-A: one\r\n two\r\n\r\n` },
  { name: 'obs-fold (HTAB)', bytes: `GET /m HTTP/1.1\r\n${H}X-A: one\r\n\ttwo\r\n\r\n` },
  { name: 'bare LF line endings', bytes: 'GET /m HTTP/1.1\nHost: a\n\n' },
  { name: 'bare LF after one field line', bytes: `GET /m HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n` },
  { name: 'bare CR in a field value', bytes: `GET /m HTTP/1.1\r\n${H}X-A: b\rc\r\n\r\n` },
  { name: 'bare CR ending the request line', bytes: `GET /m HTTP/1.1\r${H}\r\n` },

  // field syntax (RFC 9110 §5, RFC 9112 §5.1)
  { name: 'space before the colon', bytes: `GET /m HTTP/1.1\r\n${H}X-A : b\r\n\r\n` },
  { name: 'space before the colon of Host', bytes: 'GET /m HTTP/1.1\r\nHost : a\r\n\r\n' },
  { name: 'invalid character in a field name', bytes: `GET /m HTTP/1.1\r\n${H}X(A): b\r\n\r\n` },
  { name: 'space inside a field name', bytes: `GET /m HTTP/1.1\r\n${H}X A: b\r\n\r\n` },
  { name: 'empty field name', bytes: `GET /m HTTP/1.1\r\n${H}: b\r\n\r\n` },
  { name: 'non-ASCII byte in a field name', bytes: `GET /m HTTP/1.1\r\n${H}X-\xe9: b\r\n\r\n` },
  { name: 'NUL in a field value', bytes: `GET /m HTTP/1.1\r\n${H}X-A: b\x00c\r\n\r\n` },

  // Host (RFC 9112 §3.2)
  { name: 'missing Host on HTTP/1.1', bytes: 'GET /m HTTP/1.1\r\nX-A: b\r\n\r\n' },
  { name: 'two Host fields', bytes: 'GET /m HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n' },
  { name: 'invalid Host value', bytes: 'GET /m HTTP/1.1\r\nHost: a b\r\n\r\n' },

  // chunked body (RFC 9112 §7.1)
  { name: 'chunk size not hex', bytes: chunkedPost('zz\r\nhello\r\n0\r\n\r\n'), body: true },
  { name: 'chunk size negative', bytes: chunkedPost('-5\r\nhello\r\n0\r\n\r\n'), body: true },
  { name: 'chunk size overflowing 64 bits', bytes: chunkedPost('1ffffffffffffffff\r\nhello\r\n0\r\n\r\n'), body: true },
  { name: 'chunk data longer than its size', bytes: chunkedPost('5\r\nhelloEXTRA\r\n0\r\n\r\n'), body: true },

  // request line (RFC 9112 §3)
  { name: 'two spaces after the method', bytes: `GET  /m HTTP/1.1\r\n${H}\r\n` },
  { name: 'two spaces before the version', bytes: `GET /m  HTTP/1.1\r\n${H}\r\n` },
  { name: 'space inside the target', bytes: `GET /a b HTTP/1.1\r\n${H}\r\n` },
  { name: 'trailing space after the version', bytes: `GET /m HTTP/1.1 \r\n${H}\r\n` },
  { name: 'empty method', bytes: ` /m HTTP/1.1\r\n${H}\r\n` },
  { name: 'invalid character in the method', bytes: `G(T /m HTTP/1.1\r\n${H}\r\n` },
  { name: 'lower-case version', bytes: `GET /m http/1.1\r\n${H}\r\n` },
  { name: 'missing version', bytes: `GET /m\r\n${H}\r\n` },
  { name: 'non-ASCII byte in the target', bytes: `GET /caf\xe9 HTTP/1.1\r\n${H}\r\n` },
  { name: 'HTTP/2.0 → 505', bytes: `GET /m HTTP/2.0\r\n${H}\r\n`, status: 505 },
  { name: 'HTTP/3.0 → 505', bytes: `GET /m HTTP/3.0\r\n${H}\r\n`, status: 505 },
];

// A request pipelined right behind every bad one: it must never reach the handler.
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';

t.test('malformed and smuggling inputs', async (t) => {
  const paths: string[] = [];
  const { port, server } = await startServer(
    t,
    async (ctx: Ctx) => {
      paths.push(ctx.request.path);
      await ctx.request.buffer(); // body errors surface here and are not caught
      await ctx.response.end(`ok ${ctx.request.path}`);
    },
    { limits: { maxRequestBodySize: null } },
    { onError: () => {} },
  );

  // a keep-alive connection opened before the bad ones must be unaffected by them
  const bystander = await openRaw(t, port);
  await bystander.write(buildRequest({ target: '/before' }));
  t.equal((await bystander.readResponse()).status, 200);

  for (const c of cases) {
    await t.test(c.name, async (t) => {
      paths.length = 0;
      const r = await rawRequest(port, c.bytes + SMUGGLED);
      expectRejected(t, r, c.status ?? 400, c.name);
      const res = r.parsed.responses[0];
      if (res) t.ok(isRecentHttpDate(res.headers['date']), 'has a Date header');
      t.notOk(paths.includes('/smuggled'), 'the pipelined request was not processed');
      if (!c.body) t.same(paths, [], 'the handler was not called');
    });
  }

  const after = await rawRequest(port, buildRequest({ target: '/after' }), { responses: 1 });
  t.equal(after.parsed.responses[0]?.status, 200, 'a normal request is served afterwards');
  t.equal(after.parsed.responses[0]?.body.toString(), 'ok /after');

  await bystander.write(buildRequest({ target: '/still' }));
  const still = await bystander.readResponse();
  t.equal(still.body.toString(), 'ok /still', 'the earlier keep-alive connection still works');
  bystander.destroy();
  await waitFor(() => server.connectionCount === 0, 10_000, 'all connections closed');
});

t.test('a higher HTTP/1.x minor version is served as HTTP/1.1 (RFC 9110 §2.5)', async (t) => {
  // RFC 9110 §2.5 / §6.2: a recipient that implements major version 1 SHOULD process a
  // message with a higher minor version as if it were the highest minor version it
  // implements. 505 is for an unsupported *major* version.
  const { port } = await startServer(t, async (ctx: Ctx) => {
    await ctx.response.end(`ok ${ctx.request.protocol}`);
  });
  const r = await rawRequest(port, `GET /m HTTP/1.2\r\n${H}\r\n`, { responses: 1 });
  const res = r.parsed.responses[0];
  t.equal(res?.status, 200);
  t.equal(res?.version, 'HTTP/1.1', 'answered with HTTP/1.1');
  t.equal(res?.body.toString(), 'ok HTTP/1.1');
});

t.test('split bad input: a request line over several packets is still rejected', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => ctx.response.end());
  const c = await openRaw(t, port);
  await c.writeSlowly(`GET /m HTTP/1.1\r\n${H}X-A : b\r\n\r\n`, 3, 5);
  t.ok(await c.waitClose(10_000), 'closed');
  const res = parseResponses(c.data, { eof: true }).responses;
  t.equal(res.length, 1);
  t.equal(res[0]?.status, 400);
});

t.test("'clientError' tells of each refused head: status, the connection's ends; the server keeps serving", async (t) => {
  const { server, port } = await startServer(t, (ctx: Ctx) => ctx.response.end('ok'), { limits: { maxRequestHeadersTotalSize: 1024 } });
  const seen: Array<{ err: { code: string; status?: number }; info: Record<string, unknown> }> = [];
  server.on('clientError', (err: { code: string; status?: number }, info: Record<string, unknown>) => seen.push({ err, info }));

  const bad = await rawRequest(port, `GET / HTTP/1.1\r\n${H}a field without a colon\r\n\r\n`);
  expectRejected(t, bad, 400, 'malformed field line');
  const big = await rawRequest(port, `GET / HTTP/1.1\r\n${H}X-Big: ${'b'.repeat(2000)}\r\n\r\n`);
  expectRejected(t, big, 431, 'head over the limit');
  const version = await rawRequest(port, `GET / HTTP/2.0\r\n${H}\r\n`);
  expectRejected(t, version, 505, 'HTTP/2.0 in a request line');
  await waitFor(() => seen.length === 3, 2000);

  t.same(
    seen.map((s) => [s.err.code, s.err.status, s.info.status]),
    [
      ['SYSHTTP_ERR_CLIENT_PROTOCOL', 400, 400],
      ['SYSHTTP_ERR_CLIENT_PROTOCOL', 431, 431],
      ['SYSHTTP_ERR_CLIENT_PROTOCOL', 505, 505],
    ],
  );
  for (const { info } of seen) {
    t.equal(info.remoteAddress, '127.0.0.1');
    t.equal(info.localAddress, '127.0.0.1');
    t.equal(info.localPort, port);
    t.ok(typeof info.remotePort === 'number' && (info.remotePort as number) > 0, 'the client port');
    t.equal(typeof info.connectionId, 'number');
  }
  t.not(seen[0].info.connectionId, seen[1].info.connectionId, 'one id per connection');

  const good = await rawRequest(port, buildRequest('GET', '/'), { responses: 1 });
  t.equal(good.parsed.responses[0]?.status, 200, 'still serving');
  t.equal(seen.length, 3, 'a good request is no client error');
});
