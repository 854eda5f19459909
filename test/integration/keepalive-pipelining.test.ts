// Persistent connections: reuse, pipelining order, HTTP/1.0 and Connection: close,
// keep-alive idle timeout.
import t from 'tap';
import { Client } from 'undici';
import {
  startServer,
  openRaw,
  rawRequest,
  buildRequest,
  hasConnectionToken,
  sleep,
  type Ctx,
} from '../helpers/server';

const connInfo = async (ctx: Ctx) => {
  await ctx.response.end(
    JSON.stringify({ id: String(ctx.connection.id), remotePort: ctx.connection.remotePort }),
  );
};

t.test('keep-alive: undici Client reuses one connection for two requests', async (t) => {
  const { url, server } = await startServer(t, connInfo);
  const client = new Client(url, { pipelining: 1 });
  t.teardown(() => client.close());
  const r1 = await client.request({ path: '/1', method: 'GET' });
  t.equal(r1.statusCode, 200);
  const b1 = (await r1.body.json()) as { id: string; remotePort: number };
  const r2 = await client.request({ path: '/2', method: 'GET' });
  const b2 = (await r2.body.json()) as { id: string; remotePort: number };
  t.equal(b2.remotePort, b1.remotePort, 'same client port');
  t.equal(b2.id, b1.id, 'same connection id');
  t.equal(server.connectionCount, 1, 'one connection open');
});

t.test('keep-alive: two sequential requests on one raw socket', async (t) => {
  const { port } = await startServer(t, connInfo);
  const c = await openRaw(t, port);
  await c.write(buildRequest({ target: '/1' }));
  const r1 = await c.readResponse();
  t.equal(r1.status, 200);
  t.notOk(hasConnectionToken(r1, 'close'));
  await sleep(50);
  t.notOk(c.closed, 'connection stays open after the first response');
  await c.write(buildRequest({ target: '/2' }));
  const r2 = await c.readResponse();
  t.equal(r2.status, 200);
  const b1 = JSON.parse(r1.body.toString());
  const b2 = JSON.parse(r2.body.toString());
  t.equal(b1.remotePort, c.localPort);
  t.equal(b2.remotePort, c.localPort);
  t.equal(b1.id, b2.id);
  t.notOk(c.closed);
});

t.test('16 pipelined requests in one write are answered in order', async (t) => {
  const finished: number[] = [];
  const { port } = await startServer(t, async (ctx: Ctx) => {
    const i = Number(ctx.request.path.slice(1));
    const body = ctx.request.method === 'POST' ? await ctx.request.text() : '';
    // later requests tend to finish first when handlers run concurrently
    await sleep(((15 - i) * 7 + ((i * 5) % 3) * 11) % 120);
    finished.push(i);
    ctx.response.headers.set('x-index', i);
    await ctx.response.end(`response ${i}${body ? ` ${body}` : ''}`);
  });
  const reqs: Buffer[] = [];
  const heads = new Set([5, 11]);
  for (let i = 0; i < 16; i++) {
    if (i % 4 === 2) {
      reqs.push(
        buildRequest({ method: 'POST', target: `/${i}`, headers: [['Content-Length', `body-${i}`.length]], body: `body-${i}` }),
      );
    } else {
      reqs.push(buildRequest({ method: heads.has(i) ? 'HEAD' : 'GET', target: `/${i}` }));
    }
  }
  const c = await openRaw(t, port);
  await c.write(Buffer.concat(reqs));
  const rs = await c.readResponses(16, { isHead: (i) => heads.has(i), timeoutMs: 30_000 });
  for (let i = 0; i < 16; i++) {
    t.equal(rs[i].status, 200, `#${i} status`);
    t.equal(rs[i].headers['x-index'], String(i), `#${i} in order`);
    const expected = heads.has(i) ? '' : i % 4 === 2 ? `response ${i} body-${i}` : `response ${i}`;
    t.equal(rs[i].body.toString(), expected, `#${i} body`);
  }
  t.equal(c.unread.length, 0, 'nothing after the 16th response');
  t.notOk(c.closed, 'connection still open');
  t.equal(finished.length, 16);
  t.comment(`handler completion order: ${finished.join(',')}`);
});

t.test('HTTP/1.0 without keep-alive: response not chunked, connection closed', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    await ctx.response.write('a');
    await ctx.response.write('b');
    await ctx.response.end('c');
  });
  const r = await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n');
  t.ok(r.closed, 'server closes after the response');
  const res = r.parsed.responses[0];
  t.equal(res?.status, 200);
  t.notOk(res?.chunked, 'no chunked coding for an HTTP/1.0 client (RFC 9112 §7)');
  t.equal(res?.headers['transfer-encoding'], undefined);
  t.equal(res?.body.toString(), 'abc');
});

t.test('HTTP/1.0 with Connection: keep-alive stays open and says so', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    await ctx.response.end(`hello ${ctx.request.path}`);
  });
  const c = await openRaw(t, port);
  await c.write('GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  const r1 = await c.readResponse();
  t.equal(r1.status, 200);
  t.ok(hasConnectionToken(r1, 'keep-alive'), 'response has Connection: keep-alive');
  t.equal(r1.headers['content-length'], '10');
  t.equal(r1.body.toString(), 'hello /one');
  await sleep(50);
  t.notOk(c.closed, 'still open');
  await c.write('GET /two HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  const r2 = await c.readResponse();
  t.equal(r2.body.toString(), 'hello /two');
  // a 1.0 request without keep-alive ends it
  await c.write('GET /three HTTP/1.0\r\n\r\n');
  const r3 = await c.readResponse();
  t.equal(r3.body.toString(), 'hello /three');
  t.ok(await c.waitClose(5000), 'closed after a 1.0 request without keep-alive');
});

t.test('HTTP/1.1 Connection: close → response says close and the server closes', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    await ctx.response.end('bye');
  });
  const r = await rawRequest(port, buildRequest({ headers: [['Connection', 'close']] }));
  t.ok(r.closed, 'server closed the connection');
  t.notOk(r.reset, 'closed cleanly, not reset');
  t.equal(r.parsed.responses.length, 1);
  t.equal(r.parsed.responses[0].status, 200);
  t.ok(hasConnectionToken(r.parsed.responses[0], 'close'));
  t.equal(r.parsed.responses[0].body.toString(), 'bye');
});

t.test('requests pipelined after Connection: close are not processed', async (t) => {
  const paths: string[] = [];
  const { port } = await startServer(t, async (ctx: Ctx) => {
    paths.push(ctx.request.path);
    await ctx.response.end('x');
  });
  const r = await rawRequest(
    port,
    Buffer.concat([
      buildRequest({ target: '/first', headers: [['Connection', 'close']] }),
      buildRequest({ target: '/second' }),
    ]),
  );
  t.ok(r.closed);
  t.equal(r.parsed.responses.length, 1, 'exactly one response');
  t.same(paths, ['/first']);
});

t.test('idle keep-alive connection is closed after keepAliveTimeout', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => ctx.response.end('ok'), {
    limits: { keepAliveTimeout: 1000 },
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest());
  const r = await c.readResponse();
  t.equal(r.status, 200);
  const t0 = Date.now();
  t.ok(await c.waitClose(15_000), 'server closed the idle connection');
  const elapsed = Date.now() - t0;
  t.ok(elapsed >= 500, `not closed early (${elapsed} ms for a 1000 ms timeout)`);
  t.equal(c.unread.length, 0, 'closed without sending anything (no 408 for an idle connection)');
});

t.test('a connection reused within keepAliveTimeout keeps working', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => ctx.response.end('ok'), {
    limits: { keepAliveTimeout: 1000 },
  });
  const c = await openRaw(t, port);
  for (let i = 0; i < 4; i++) {
    await c.write(buildRequest());
    const r = await c.readResponse();
    t.equal(r.status, 200, `request ${i}`);
    await sleep(300); // 4 × 300 ms > 1000 ms in total, but each gap is shorter
  }
  t.notOk(c.closed, 'the idle timer restarts after every response');
});

t.test('keepAliveTimeout does not cut a request that is being handled', async (t) => {
  const { port } = await startServer(
    t,
    async (ctx: Ctx) => {
      await sleep(1000);
      await ctx.response.end('slow but fine');
    },
    { limits: { keepAliveTimeout: 300 } },
  );
  const c = await openRaw(t, port);
  await c.write(buildRequest());
  const r = await c.readResponse({ timeoutMs: 15_000 });
  t.equal(r.status, 200);
  t.equal(r.body.toString(), 'slow but fine');
});
