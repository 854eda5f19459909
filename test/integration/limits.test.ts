// Every limit crossed (and not crossed) with the status it produces: request line, header
// size and count, body size (server-wide and per request), headers timeout, minimum body
// data rate, maximum concurrent connections.
import t from 'tap';
import { HttpMaxRequestBodySizeFeature, SyshttpError } from '../../dist/index.js';
import {
  startServer,
  openRaw,
  rawRequest,
  buildRequest,
  chunked,
  expectRejected,
  parseResponses,
  waitFor,
  RawClient,
  type Ctx,
} from '../helpers/server';

const ok = async (ctx: Ctx) => {
  await ctx.response.end('ok');
};

/** Handler that reads the whole body (uncaught errors propagate) and returns its length. */
const reader = async (ctx: Ctx) => {
  const b: Buffer = await ctx.request.buffer();
  await ctx.response.end(String(b.length));
};

t.test('maxRequestLineSize (configured 100) → 414', async (t) => {
  const { port } = await startServer(t, ok, { limits: { maxRequestLineSize: 100 } });
  const under = await rawRequest(port, buildRequest({ target: '/' + 'a'.repeat(60) }), { responses: 1 });
  t.equal(under.parsed.responses[0]?.status, 200, 'a 75-byte request line is fine');
  const over = await rawRequest(port, buildRequest({ target: '/' + 'a'.repeat(200) }));
  expectRejected(t, over, 414, 'request line of 215 bytes');
  // a long line that has not ended yet is rejected as well: limits apply to partial input
  const partial = await rawRequest(port, 'GET /' + 'b'.repeat(300));
  expectRejected(t, partial, 414, 'unterminated long request line');
});

t.test('default request line limit (8 KiB) → 414', async (t) => {
  const { port } = await startServer(t, ok);
  const under = await rawRequest(port, buildRequest({ target: '/' + 'a'.repeat(8000) }), { responses: 1 });
  t.equal(under.parsed.responses[0]?.status, 200, 'an 8014-byte request line is fine');
  const over = await rawRequest(port, buildRequest({ target: '/' + 'a'.repeat(9000) }));
  expectRejected(t, over, 414, '9 KiB request line');
});

t.test('maxRequestHeadersTotalSize (configured 1024) → 431', async (t) => {
  const { port } = await startServer(t, ok, { limits: { maxRequestHeadersTotalSize: 1024 } });
  const under = await rawRequest(port, buildRequest({ headers: [['X-Big', 'b'.repeat(500)]] }), { responses: 1 });
  t.equal(under.parsed.responses[0]?.status, 200);
  const over = await rawRequest(port, buildRequest({ headers: [['X-Big', 'b'.repeat(2000)]] }));
  expectRejected(t, over, 431, '2 KB header');
  const many = await rawRequest(
    port,
    buildRequest({ headers: Array.from({ length: 30 }, (_, i) => [`X-H${i}`, 'v'.repeat(40)] as [string, string]) }),
  );
  expectRejected(t, many, 431, 'many small headers adding up to > 1 KiB');
});

t.test('default headers total size (32 KiB) → 431', async (t) => {
  const { port } = await startServer(t, ok);
  const under = await rawRequest(port, buildRequest({ headers: [['X-Big', 'b'.repeat(30_000)]] }), { responses: 1 });
  t.equal(under.parsed.responses[0]?.status, 200);
  const over = await rawRequest(port, buildRequest({ headers: [['X-Big', 'b'.repeat(40_000)]] }));
  expectRejected(t, over, 431, '40 KB header');
});

t.test('maxRequestHeaderCount (configured 10) → 431', async (t) => {
  const { port } = await startServer(t, ok, { limits: { maxRequestHeaderCount: 10 } });
  const fields = (n: number) => Array.from({ length: n }, (_, i) => [`X-H${i}`, 'v'] as [string, string]);
  const atLimit = await rawRequest(port, buildRequest({ headers: fields(9) }), { responses: 1 }); // + Host = 10
  t.equal(atLimit.parsed.responses[0]?.status, 200, '10 fields are allowed');
  const over = await rawRequest(port, buildRequest({ headers: fields(10) })); // + Host = 11
  expectRejected(t, over, 431, '11 fields');
});

t.test('default header count (100) → 431', async (t) => {
  const { port } = await startServer(t, ok);
  const fields = (n: number) => Array.from({ length: n }, (_, i) => [`X-H${i}`, 'v'] as [string, string]);
  const atLimit = await rawRequest(port, buildRequest({ headers: fields(99) }), { responses: 1 }); // + Host = 100
  t.equal(atLimit.parsed.responses[0]?.status, 200, '100 fields are allowed');
  const over = await rawRequest(port, buildRequest({ headers: fields(100) })); // + Host = 101
  expectRejected(t, over, 431, '101 fields');
});

t.test('maxRequestBodySize (configured 1000) → 413', async (t) => {
  const { port } = await startServer(t, reader, { limits: { maxRequestBodySize: 1000 } }, { onError: () => {} });
  const atLimit = await rawRequest(
    port,
    buildRequest({ method: 'POST', headers: [['Content-Length', 1000]], body: 'x'.repeat(1000) }),
    { responses: 1 },
  );
  t.equal(atLimit.parsed.responses[0]?.status, 200);
  t.equal(atLimit.parsed.responses[0]?.body.toString(), '1000');

  const overCl = await rawRequest(
    port,
    buildRequest({ method: 'POST', headers: [['Content-Length', 1001]], body: 'x'.repeat(1001) }),
  );
  expectRejected(t, overCl, 413, 'Content-Length 1001');

  const overChunked = await rawRequest(
    port,
    buildRequest({
      method: 'POST',
      headers: [['Transfer-Encoding', 'chunked']],
      body: chunked(['x'.repeat(400), 'x'.repeat(400), 'x'.repeat(400)]),
    }),
  );
  expectRejected(t, overChunked, 413, 'chunked body of 1200 bytes');

  const chunkedUnder = await rawRequest(
    port,
    buildRequest({
      method: 'POST',
      headers: [['Transfer-Encoding', 'chunked']],
      body: chunked(['x'.repeat(500), 'x'.repeat(500)]),
    }),
    { responses: 1 },
  );
  t.equal(chunkedUnder.parsed.responses[0]?.status, 200);
  t.equal(chunkedUnder.parsed.responses[0]?.body.toString(), '1000');
});

t.test('a chunk line over 16 KiB (its extensions) → 413, as node:http answers extensions over its limit', async (t) => {
  const { port } = await startServer(t, reader, undefined, { onError: () => {} });
  const body = `2;${'a'.repeat(17000)}\r\nAA\r\n0\r\n\r\n`;
  const over = await rawRequest(port, buildRequest({ method: 'POST', headers: [['Transfer-Encoding', 'chunked']], body }));
  expectRejected(t, over, 413, 'extensions of 17000 bytes');
  const under = await rawRequest(
    port,
    buildRequest({ method: 'POST', headers: [['Transfer-Encoding', 'chunked']], body: `2;${'a'.repeat(10000)}\r\nAA\r\n0\r\n\r\n` }),
    { responses: 1 },
  );
  t.equal(under.parsed.responses[0]?.status, 200, 'extensions of 10000 bytes are read');
  t.equal(under.parsed.responses[0]?.body.toString(), '2');
});

t.test('body too large surfaces as SYSHTTP_ERR_BODY_TOO_LARGE (status 413) in the handler', async (t) => {
  let caught: unknown;
  const { port } = await startServer(
    t,
    async (ctx: Ctx) => {
      try {
        await ctx.request.text();
      } catch (err) {
        caught = err;
      }
      ctx.response.status = 413;
      await ctx.response.end('handled');
    },
    { limits: { maxRequestBodySize: 100 } },
  );
  const r = await rawRequest(
    port,
    buildRequest({ method: 'POST', headers: [['Content-Length', 500]], body: 'y'.repeat(500) }),
    { responses: 1 },
  );
  t.equal(r.parsed.responses[0]?.status, 413);
  t.equal(r.parsed.responses[0]?.body.toString(), 'handled');
  t.ok(caught instanceof SyshttpError, 'a SyshttpError');
  t.ok(caught instanceof Error, 'an Error');
  t.equal((caught as { code?: string }).code, 'SYSHTTP_ERR_BODY_TOO_LARGE');
  t.equal((caught as { status?: number }).status, 413);
});

t.test('HttpMaxRequestBodySizeFeature: raise the limit for one request', async (t) => {
  const seen: Record<string, unknown> = {};
  const { port } = await startServer(
    t,
    async (ctx: Ctx) => {
      const f = ctx.features.get(HttpMaxRequestBodySizeFeature);
      seen.initial = f.maxRequestBodySize;
      seen.readOnlyBefore = f.isReadOnly;
      f.maxRequestBodySize = 10_000;
      const body: Buffer = await ctx.request.buffer();
      seen.readOnlyAfter = f.isReadOnly;
      try {
        f.maxRequestBodySize = 20_000;
        seen.setAfter = 'no error';
      } catch (err) {
        seen.setAfter = err;
      }
      await ctx.response.end(String(body.length));
    },
    { limits: { maxRequestBodySize: 1000 } },
  );
  const r = await rawRequest(
    port,
    buildRequest({ method: 'POST', headers: [['Content-Length', 5000]], body: 'z'.repeat(5000) }),
    { responses: 1 },
  );
  t.equal(r.parsed.responses[0]?.status, 200, 'a body over the server limit is accepted');
  t.equal(r.parsed.responses[0]?.body.toString(), '5000');
  t.equal(seen.initial, 1000, 'starts at the server limit');
  t.equal(seen.readOnlyBefore, false);
  t.equal(seen.readOnlyAfter, true, 'read-only once the body was read');
  t.ok(seen.setAfter instanceof SyshttpError, 'setting after reading throws a SyshttpError');
  t.equal((seen.setAfter as { code?: string }).code, 'SYSHTTP_ERR_BODY_STARTED');
});

t.test('HttpMaxRequestBodySizeFeature: lower the limit for one request → 413', async (t) => {
  const { port } = await startServer(
    t,
    async (ctx: Ctx) => {
      ctx.features.get(HttpMaxRequestBodySizeFeature).maxRequestBodySize = 10;
      const b: Buffer = await ctx.request.buffer();
      await ctx.response.end(String(b.length));
    },
    undefined,
    { onError: () => {} },
  );
  const r = await rawRequest(
    port,
    buildRequest({ method: 'POST', headers: [['Content-Length', 100]], body: 'q'.repeat(100) }),
  );
  expectRejected(t, r, 413, 'per-request limit of 10, body of 100');
  const chunkedR = await rawRequest(
    port,
    buildRequest({ method: 'POST', headers: [['Transfer-Encoding', 'chunked']], body: chunked(['q'.repeat(100)]) }),
  );
  expectRejected(t, chunkedR, 413, 'per-request limit of 10, chunked body of 100');
});

t.test('HttpMaxRequestBodySizeFeature: null lifts the limit', async (t) => {
  const { port } = await startServer(
    t,
    async (ctx: Ctx) => {
      ctx.features.get(HttpMaxRequestBodySizeFeature).maxRequestBodySize = null;
      const b: Buffer = await ctx.request.buffer();
      await ctx.response.end(String(b.length));
    },
    { limits: { maxRequestBodySize: 10 } },
  );
  const r = await rawRequest(
    port,
    buildRequest({ method: 'POST', headers: [['Content-Length', 3000]], body: 'n'.repeat(3000) }),
    { responses: 1 },
  );
  t.equal(r.parsed.responses[0]?.status, 200);
  t.equal(r.parsed.responses[0]?.body.toString(), '3000');
});

t.test('requestHeadersTimeout (500 ms): incomplete head → 408 and close', async (t) => {
  let calls = 0;
  const { port } = await startServer(
    t,
    async (ctx: Ctx) => {
      calls++;
      await ctx.response.end();
    },
    { limits: { requestHeadersTimeout: 500 } },
  );
  const t0 = Date.now();
  const r = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: a\r\n', { timeoutMs: 15_000 });
  const elapsed = Date.now() - t0;
  expectRejected(t, r, 408, 'incomplete head');
  t.ok(elapsed >= 250, `not before the timeout (${elapsed} ms)`);
  t.equal(calls, 0, 'handler not called');
});

t.test('requestHeadersTimeout covers the whole head: trickling bytes do not extend it', async (t) => {
  const { port } = await startServer(t, ok, { limits: { requestHeadersTimeout: 800 } });
  const c = await openRaw(t, port);
  const t0 = Date.now();
  // one byte every 100 ms for ~6 s: the head never completes in time
  void c.writeSlowly('GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ' + 'z'.repeat(60), 1, 100);
  const closed = await c.waitClose(15_000);
  const elapsed = Date.now() - t0;
  t.ok(closed, 'server closed the connection');
  t.ok(elapsed < 5000, `closed well before the head would have been complete (${elapsed} ms)`);
  const res = parseResponses(c.data, { eof: true }).responses[0];
  t.equal(res?.status, 408);
});

t.test('minRequestBodyDataRate: a body trickling below the rate is cut off', async (t) => {
  let bodyError: unknown;
  let fastOk = false;
  const { port } = await startServer(
    t,
    async (ctx: Ctx) => {
      try {
        const b: Buffer = await ctx.request.buffer();
        fastOk = b.length === 100_000;
        await ctx.response.end(String(b.length));
      } catch (err) {
        bodyError = err;
        throw err;
      }
    },
    { limits: { minRequestBodyDataRate: { bytesPerSecond: 1000, gracePeriod: 500 } } },
    { onError: () => {} },
  );

  // a fast body on the same server is fine
  const fast = await rawRequest(
    port,
    buildRequest({ method: 'POST', headers: [['Content-Length', 100_000]], body: 'f'.repeat(100_000) }),
    { responses: 1 },
  );
  t.equal(fast.parsed.responses[0]?.status, 200);
  t.ok(fastOk);

  const c = await openRaw(t, port);
  await c.write(buildRequest({ method: 'POST', headers: [['Content-Length', 100_000]] }));
  const t0 = Date.now();
  void c.writeSlowly('s'.repeat(1000), 10, 200); // 50 B/s
  const closed = await c.waitClose(15_000);
  const elapsed = Date.now() - t0;
  t.ok(closed, `server closed the slow upload (${elapsed} ms)`);
  t.ok(elapsed < 10_000, 'long before the 1000 bytes were sent (~20 s)');
  const res = parseResponses(c.data, { eof: true }).responses[0];
  if (res) t.equal(res.status, 408, 'if a response was sent, it is 408');
  else t.pass('closed without a response');
  await waitFor(() => bodyError !== undefined, 5000, 'handler body read failed');
  t.ok(bodyError instanceof Error, 'the body stream errored');
});

t.test('maxConcurrentConnections (2): the third connection is not served', async (t) => {
  const { port, server } = await startServer(t, ok, { limits: { maxConcurrentConnections: 2 } });
  const a = await openRaw(t, port);
  const b = await openRaw(t, port);
  for (const c of [a, b]) {
    await c.write(buildRequest());
    t.equal((await c.readResponse()).status, 200);
  }
  t.equal(server.connectionCount, 2);

  const third = await rawRequest(port, buildRequest(), { timeoutMs: 10_000 });
  t.ok(third.closed, 'the extra connection is closed by the server');
  const res = third.parsed.responses[0];
  t.not(res?.status, 200, 'and not served');
  if (res) t.equal(res.status, 503, 'if anything is sent, it is 503');
  t.equal(server.connectionCount, 2, 'the rejected connection is not counted');

  a.destroy();
  await waitFor(() => server.connectionCount === 1, 10_000, 'count drops to 1');
  const d = await RawClient.connect(port);
  t.teardown(() => d.destroy());
  await d.write(buildRequest());
  t.equal((await d.readResponse()).status, 200, 'a new connection is served once there is room');
  b.destroy();
  d.destroy();
  await waitFor(() => server.connectionCount === 0, 10_000, 'count drops to 0');
});
