// Regressions from review: a client that does not read, responses after a closing one,
// refused writes, and an unanswered body that never arrives.
import t from 'tap';
import { buildRequest, openRaw, sleep, startServer, waitFor, type Ctx } from '../helpers/server';

t.test('a pipelining client that never reads is not served beyond the high-water mark', async (t) => {
  let handled = 0;
  const big = Buffer.alloc(256 * 1024, 'x');
  const { port } = await startServer(t, async (ctx: Ctx) => {
    handled++;
    await ctx.response.end(big);
  });
  const c = await openRaw(t, port);
  c.socket.pause(); // read nothing
  const requests = Buffer.concat(Array.from({ length: 200 }, (_, i) => buildRequest({ target: `/r${i}` })));
  await c.write(requests);
  await sleep(800);
  // At most the pipelining depth (32) is parsed ahead; after that, nothing until it reads.
  t.ok(handled <= 40, `handlers ran for ${handled} of 200 requests while the client read nothing`);
  c.socket.resume();
  const responses = await c.readResponses(200, { timeoutMs: 60_000 });
  t.equal(handled, 200, 'every request is served once the client reads');
  t.ok(responses.every((r) => r.status === 200 && r.body.length === big.length), 'all 200 responses complete and in order');
});

t.test('nothing is sent after a response that closes the connection', async (t) => {
  let bSignalled = false;
  const { port } = await startServer(t, async (ctx: Ctx) => {
    if (ctx.request.path === '/a') {
      ctx.response.headers.set('connection', 'close');
      await ctx.response.end('AAAA');
      return;
    }
    ctx.signal.addEventListener('abort', () => (bSignalled = true));
    await sleep(50);
    await ctx.response.end('SECRET-for-b');
  });
  const c = await openRaw(t, port);
  await c.write(Buffer.concat([buildRequest({ target: '/a' }), buildRequest({ target: '/b' })]));
  t.ok(await c.waitClose(5000), 'the server closes after /a');
  const text = c.data.toString('latin1');
  t.match(text, /AAAA$/, 'the response to /a is the last thing on the wire');
  t.notMatch(text, /SECRET/, 'no bytes of /b');
  await waitFor(() => bSignalled, 5000, '/b hears of the abort');
});

t.test('a body longer than the declared Content-Length is refused before anything is sent', async (t) => {
  const errors: unknown[] = [];
  const { port } = await startServer(
    t,
    async (ctx: Ctx) => {
      if (ctx.request.path === '/bad') {
        ctx.response.headers.set('content-length', '5');
        await ctx.response.end('hello world');
        return;
      }
      await ctx.response.end('fine');
    },
    undefined,
    { onError: (err) => errors.push(err) },
  );
  const c = await openRaw(t, port);
  await c.write(Buffer.concat([buildRequest({ target: '/bad' }), buildRequest({ target: '/next' })]));
  const [bad, next] = await c.readResponses(2, { timeoutMs: 10_000 });
  t.equal(bad.status, 500, 'the refused response becomes a 500');
  t.equal(next.status, 200);
  t.equal(next.body.toString(), 'fine', 'the connection keeps serving');
  t.match(errors[0], { code: 'SYSHTTP_ERR_CONTENT_LENGTH_MISMATCH' });
});

t.test('an unread body that never arrives does not keep the connection forever', async (t) => {
  const { server, port } = await startServer(
    t,
    async (ctx: Ctx) => {
      await ctx.response.end('answered without reading');
    },
    { limits: { requestHeadersTimeout: 500, keepAliveTimeout: 500 } },
  );
  const c = await openRaw(t, port);
  await c.write(buildRequest({ method: 'POST', target: '/u', headers: [['Content-Length', 100000]], body: 'abc' }));
  const r = await c.readResponse();
  t.equal(r.status, 200);
  t.ok(await c.waitClose(5000), 'closed once the rest of the body is overdue');
  await waitFor(() => server.connectionCount === 0, 5000, 'connection released');
});
