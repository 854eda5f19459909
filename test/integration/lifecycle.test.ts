// Server and connection lifecycle: listen results and addresses, IPv6, SO_REUSEPORT,
// connection counting, client disconnects (ctx.signal), ctx.abort(), graceful and forced stop.
import t from 'tap';
import { request, Agent } from 'undici';
import {
  startServer,
  openRaw,
  rawRequest,
  buildRequest,
  ipv6LoopbackAvailable,
  tryConnect,
  waitFor,
  sleep,
  RawClient,
  type Ctx,
} from '../helpers/server';

t.test('port 0: listen() result, server.addresses and a request agree on the real port', async (t) => {
  let seenLocalPort: unknown;
  const { server, address, port } = await startServer(t, async (ctx: Ctx) => {
    seenLocalPort = ctx.connection.localPort;
    await ctx.response.end('here');
  });
  t.equal(address.address, '127.0.0.1');
  t.equal(address.family, 'IPv4');
  t.type(port, 'number');
  t.ok(port > 0 && port < 65536, `a real port (${port})`);
  t.same(server.addresses, [`http://127.0.0.1:${port}`]);
  const res = await request(server.addresses[0] + '/');
  t.equal(res.statusCode, 200);
  t.equal(await res.body.text(), 'here');
  t.equal(seenLocalPort, port);
});

t.test('IPv6 loopback', async (t) => {
  const available = await ipv6LoopbackAvailable();
  await t.test('listen on ::1', { skip: available ? false : 'this machine has no IPv6 loopback' }, async (t) => {
    let remote: unknown;
    const { server, address, port, url } = await startServer(
      t,
      async (ctx: Ctx) => {
        remote = ctx.connection.remoteAddress;
        await ctx.response.end('v6');
      },
      undefined,
      { host: '::1' },
    );
    t.equal(address.family, 'IPv6');
    t.equal(address.address, '::1');
    t.same(server.addresses, [`http://[::1]:${port}`]);
    t.equal(url, `http://[::1]:${port}`);
    const res = await request(`${url}/`);
    t.equal(res.statusCode, 200);
    t.equal(await res.body.text(), 'v6');
    t.equal(remote, '::1');
    const raw = await rawRequest(port, buildRequest(), { host: '::1', responses: 1 });
    t.equal(raw.parsed.responses[0]?.status, 200, 'raw socket over IPv6');
  });
});

t.test('reusePort: two servers share one port', async (t) => {
  const a = await startServer(t, async (ctx: Ctx) => ctx.response.end('a'), undefined, { reusePort: true });
  const b = await startServer(t, async (ctx: Ctx) => ctx.response.end('b'), undefined, {
    reusePort: true,
    port: a.port,
  });
  t.equal(b.port, a.port, 'second listen on the same port succeeded');
  const seen = new Set<string>();
  for (let i = 0; i < 40 && seen.size < 2; i++) {
    const r = await rawRequest(a.port, buildRequest({ headers: [['Connection', 'close']] }));
    const body = r.parsed.responses[0]?.body.toString();
    t.ok(body === 'a' || body === 'b', 'served by one of them');
    if (body) seen.add(body);
  }
  // the kernel spreads connections by a hash of the 4-tuple: 40 misses in a row would be
  // a 2^-39 chance if both listeners are in one reuseport group
  t.same([...seen].sort(), ['a', 'b'], 'both servers accept connections on the shared port');
});

t.test('server.connectionCount follows open connections', async (t) => {
  const { server, port } = await startServer(t, async (ctx: Ctx) => ctx.response.end('ok'));
  t.equal(server.connectionCount, 0);
  const clients: RawClient[] = [];
  for (let i = 0; i < 3; i++) clients.push(await openRaw(t, port));
  await waitFor(() => server.connectionCount === 3, 10_000, 'connectionCount === 3');
  await clients[0].write(buildRequest());
  await clients[0].readResponse();
  t.equal(server.connectionCount, 3);
  clients[0].destroy();
  await waitFor(() => server.connectionCount === 2, 10_000, 'connectionCount === 2');
  for (const c of clients) c.destroy();
  await waitFor(() => server.connectionCount === 0, 10_000, 'connectionCount === 0');
});

t.test('client disconnect mid-body fires ctx.signal, body read fails, count returns to 0', async (t) => {
  let received = 0;
  let aborted = false;
  let abortedBefore: unknown;
  let bodyError: unknown;
  let bodyDone = false;
  const { server, port } = await startServer(
    t,
    async (ctx: Ctx) => {
      abortedBefore = ctx.signal.aborted;
      ctx.signal.addEventListener('abort', () => {
        aborted = true;
      });
      try {
        for await (const chunk of ctx.request.body) received += (chunk as Buffer).length;
      } catch (err) {
        bodyError = err;
      } finally {
        bodyDone = true;
      }
    },
    { limits: { minRequestBodyDataRate: null } },
    { onError: () => {} },
  );
  const c = await openRaw(t, port);
  await c.write(buildRequest({ method: 'POST', headers: [['Content-Length', 1_000_000]], body: 'x'.repeat(1000) }));
  await waitFor(() => received >= 1000, 10_000, 'handler received the first 1000 bytes');
  t.equal(abortedBefore, false, 'signal not aborted while the client is there');
  c.destroy();
  await waitFor(() => aborted, 10_000, 'ctx.signal aborted');
  await waitFor(() => bodyDone, 10_000, 'body iteration finished');
  t.ok(bodyError instanceof Error, 'a truncated body errors instead of ending normally');
  await waitFor(() => server.connectionCount === 0, 10_000, 'connectionCount === 0');
  t.equal(received, 1000);
});

t.test('client disconnect while the handler waits fires ctx.signal', async (t) => {
  let entered = false;
  let abortedAt = 0;
  const { server, port } = await startServer(
    t,
    async (ctx: Ctx) => {
      entered = true;
      await new Promise<void>((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          abortedAt = Date.now();
          resolve();
        });
      });
    },
    undefined,
    { onError: () => {} },
  );
  const c = await openRaw(t, port);
  await c.write(buildRequest());
  await waitFor(() => entered, 10_000, 'handler entered');
  c.destroy();
  await waitFor(() => abortedAt > 0, 10_000, 'ctx.signal aborted');
  await waitFor(() => server.connectionCount === 0, 10_000, 'connectionCount === 0');
});

t.test("the client's end after a Connection: close request and more bytes still aborts the request waiting for its answer", async (t) => {
  // The bytes after a closing request are never read: they must not hold the end back.
  let entered = false;
  let aborted = false;
  const { server, port } = await startServer(
    t,
    async (ctx: Ctx) => {
      entered = true;
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      aborted = true;
    },
    undefined,
    { onError: () => {} },
  );
  const c = await openRaw(t, port);
  await c.write(buildRequest({ headers: [['Connection', 'close']] }));
  await waitFor(() => entered, 10_000, 'handler entered');
  await c.write('GET /after HTTP/1.1\r\nHost: x\r\n\r\n');
  await sleep(50);
  c.socket.end();
  await waitFor(() => aborted, 5000, 'ctx.signal aborted');
  await waitFor(() => server.connectionCount === 0, 5000, 'connectionCount === 0');
});

t.test('ctx.abort() resets the connection without a response', async (t) => {
  const { port } = await startServer(
    t,
    async (ctx: Ctx) => {
      if (ctx.request.path === '/abort') {
        ctx.abort();
        return;
      }
      await ctx.response.end('fine');
    },
    undefined,
    { onError: () => {} },
  );
  const r = await rawRequest(port, buildRequest({ target: '/abort' }), { timeoutMs: 10_000 });
  t.ok(r.closed, 'connection closed by the server');
  t.equal(r.data.length, 0, 'nothing was sent');
  const ok = await rawRequest(port, buildRequest({ target: '/ok' }), { responses: 1 });
  t.equal(ok.parsed.responses[0]?.body.toString(), 'fine', 'server keeps serving');
});

t.test('graceful stop: in-flight request completes, idle keep-alive closed, new connections refused', async (t) => {
  let entered = false;
  let finishedAt = 0;
  const { server, port, url } = await startServer(t, async (ctx: Ctx) => {
    if (ctx.request.path === '/slow') {
      entered = true;
      await sleep(500);
      finishedAt = Date.now();
      await ctx.response.end('slow done');
      return;
    }
    await ctx.response.end('quick');
  });

  // an idle keep-alive connection
  const idle = await openRaw(t, port);
  await idle.write(buildRequest({ target: '/quick' }));
  t.equal((await idle.readResponse()).body.toString(), 'quick');

  // an in-flight request, through undici
  const agent = new Agent();
  t.teardown(() => agent.close());
  const slow = request(`${url}/slow`, { dispatcher: agent }).then(async (res) => ({
    status: res.statusCode,
    body: await res.body.text(),
  }));
  slow.catch(() => {});
  await waitFor(() => entered, 10_000, 'slow handler entered');

  const t0 = Date.now();
  let stoppedAt = 0;
  const stopping = server.stop({ timeout: 5000 }).then(() => {
    stoppedAt = Date.now();
  });

  t.ok(await idle.waitClose(4000), 'idle keep-alive connection closed by stop()');
  await waitFor(async () => (await tryConnect(port)) === 'refused', 4000, 'new connections refused while stopping');

  const res = await slow;
  t.equal(res.status, 200, 'in-flight request completed');
  t.equal(res.body, 'slow done');
  await stopping;
  t.ok(stoppedAt >= finishedAt, 'stop() resolved after the in-flight response');
  t.ok(stoppedAt - t0 < 4500, `stop() did not wait for its timeout (${stoppedAt - t0} ms)`);
  t.equal(await tryConnect(port), 'refused', 'refused after stop()');
  t.equal(server.connectionCount, 0);
});

t.test('stop with a short timeout force-closes a hung request', async (t) => {
  let entered = false;
  let aborted = false;
  const { server, port } = await startServer(
    t,
    async (ctx: Ctx) => {
      entered = true;
      await new Promise<void>((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = true;
          resolve();
        });
      });
    },
    undefined,
    { onError: () => {} },
  );
  const pending = rawRequest(port, buildRequest({ target: '/hang' }), { timeoutMs: 15_000 });
  await waitFor(() => entered, 10_000, 'handler entered');
  const t0 = Date.now();
  await server.stop({ timeout: 300 });
  const elapsed = Date.now() - t0;
  t.ok(elapsed >= 200, `waited for the timeout first (${elapsed} ms)`);
  t.ok(elapsed < 5000, `then force-closed (${elapsed} ms)`);
  const r = await pending;
  t.ok(r.closed, 'client connection was closed');
  t.equal(r.parsed.responses.length, 0, 'no response for the hung request');
  await waitFor(() => aborted, 5000, 'ctx.signal aborted by the forced close');
  t.equal(server.connectionCount, 0);
  t.equal(await tryConnect(port), 'refused');
});

t.test('stop() with no connections resolves promptly', async (t) => {
  const { server, port } = await startServer(t, async (ctx: Ctx) => ctx.response.end());
  const t0 = Date.now();
  await server.stop({ timeout: 5000 });
  t.ok(Date.now() - t0 < 3000, 'no waiting without connections');
  t.equal(await tryConnect(port), 'refused');
});

t.test('client resetting while its unread body fills the buffers fires ctx.signal', async (t) => {
  let aborted = false;
  const { server, port } = await startServer(t, async (ctx: Ctx) => {
    // Never reads the body: the server stops reading the socket (backpressure).
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
    aborted = true;
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest({ method: 'POST', headers: [['Content-Length', 10_000_000]] }));
  const chunk = Buffer.alloc(64 * 1024, 'b');
  for (let i = 0; i < 40; i++) c.socket.write(chunk); // more than the server buffers
  await sleep(300);
  // A FIN could not even reach the server behind a full receive window: the client
  // resets, as a browser tab or a killed process does.
  c.socket.resetAndDestroy();
  await waitFor(() => aborted, 10_000, 'ctx.signal fired');
  await waitFor(() => server.connectionCount === 0, 10_000, 'connection released');
});
