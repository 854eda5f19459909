// Application errors and typed errors: throwing handlers → 500 and the connection stays
// usable, the 'error' event, failures after the response started → abort, errors caught by
// middleware, SyshttpError codes.
import t from 'tap';
import { Client, request } from 'undici';
import { createServer, SyshttpError } from '../../dist/index.js';
import {
  startServer,
  openRaw,
  rawRequest,
  buildRequest,
  occupyPort,
  stopQuietly,
  waitFor,
  sleep,
  type Ctx,
} from '../helpers/server';

t.test('a throwing handler → 500; same connection and same server keep working; error event', async (t) => {
  const events: Array<{ err: unknown; path: unknown }> = [];
  const thrown: unknown[] = [];
  const { port, url } = await startServer(
    t,
    async (ctx: Ctx) => {
      if (ctx.request.path === '/throw') {
        ctx.response.headers.set('x-should-not-matter', '1');
        const e = new Error('handler failed');
        thrown.push(e);
        throw e;
      }
      if (ctx.request.path === '/reject') {
        await sleep(10);
        const e = new Error('async rejection');
        thrown.push(e);
        return Promise.reject(e);
      }
      await ctx.response.end(`fine ${ctx.request.path}`);
    },
    undefined,
    { onError: (err: unknown, ctx: Ctx) => events.push({ err, path: ctx?.request?.path }) },
  );

  // raw: error, then the next request on the same connection
  const c = await openRaw(t, port);
  await c.write(Buffer.concat([buildRequest({ target: '/throw' }), buildRequest({ target: '/next' })]));
  const [r500, rNext] = await c.readResponses(2);
  t.equal(r500.status, 500);
  t.ok(r500.complete, 'a complete 500 response');
  t.equal(rNext.status, 200, 'the next request on the same connection succeeds');
  t.equal(rNext.body.toString(), 'fine /next');
  t.notOk(c.closed, 'connection kept open');

  await c.write(buildRequest({ target: '/reject' }));
  t.equal((await c.readResponse()).status, 500, 'a rejected promise → 500 as well');
  await c.write(buildRequest({ target: '/again' }));
  t.equal((await c.readResponse()).body.toString(), 'fine /again');

  // undici keep-alive client: the 500 does not cost the connection
  const client = new Client(url, { pipelining: 1 });
  t.teardown(() => client.close());
  const e1 = await client.request({ path: '/throw', method: 'GET' });
  t.equal(e1.statusCode, 500);
  await e1.body.dump();
  const ok = await client.request({ path: '/ok', method: 'GET' });
  t.equal(ok.statusCode, 200);
  t.equal(await ok.body.text(), 'fine /ok');

  await waitFor(() => events.length === 3, 5000, 'three error events');
  t.equal(events[0].err, thrown[0], 'the error event carries the thrown error itself');
  t.equal(events[0].path, '/throw', 'and the context of the failed request');
  t.equal(events[1].err, thrown[1]);
  t.equal(events[1].path, '/reject');
  t.equal(events[2].err, thrown[2]);
});

t.test('a synchronous throw from a non-async handler → 500', async (t) => {
  const errors: unknown[] = [];
  const { port } = await startServer(
    t,
    (ctx: Ctx) => {
      if (ctx.request.path === '/sync') throw new Error('sync failure');
      return ctx.response.end('ok');
    },
    undefined,
    { onError: (err: unknown) => errors.push(err) },
  );
  const c = await openRaw(t, port);
  await c.write(Buffer.concat([buildRequest({ target: '/sync' }), buildRequest({ target: '/ok' })]));
  const [a, b] = await c.readResponses(2);
  t.equal(a.status, 500);
  t.equal(b.status, 200);
  await waitFor(() => errors.length === 1, 5000, 'error event');
  t.equal((errors[0] as Error).message, 'sync failure');
});

t.test('without an error listener a throwing handler still gets 500 and nothing crashes', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    if (ctx.request.path === '/throw') throw new Error('expected test error (printed, not emitted)');
    await ctx.response.end('ok');
  });
  const c = await openRaw(t, port);
  await c.write(Buffer.concat([buildRequest({ target: '/throw' }), buildRequest({ target: '/ok' })]));
  const [a, b] = await c.readResponses(2);
  t.equal(a.status, 500);
  t.equal(b.status, 200);
});

t.test('rejection after the response started → connection aborted, error event', async (t) => {
  const errors: unknown[] = [];
  const { port } = await startServer(
    t,
    async (ctx: Ctx) => {
      if (ctx.request.path === '/late') {
        await ctx.response.write('partial ');
        await sleep(50);
        throw new Error('late failure');
      }
      await ctx.response.end('ok');
    },
    undefined,
    { onError: (err: unknown) => errors.push(err) },
  );
  const r = await rawRequest(port, buildRequest({ target: '/late' }), { timeoutMs: 10_000 });
  t.ok(r.closed, 'the server closed (aborted) the connection');
  t.equal(r.parsed.responses.length, 0, 'the response was not completed (no last chunk)');
  if (r.parsed.partial) {
    t.equal(r.parsed.partial.status, 200, 'the started response was a 200');
    t.ok(r.parsed.partial.chunked, 'chunked, so the truncation is visible to the client');
  }
  t.notMatch(r.data.toString('latin1'), /HTTP\/1\.1 500/, 'no 500 after the head was sent');
  await waitFor(() => errors.length === 1, 5000, 'error event');
  t.equal((errors[0] as Error).message, 'late failure');

  const ok = await rawRequest(port, buildRequest({ target: '/ok' }), { responses: 1 });
  t.equal(ok.parsed.responses[0]?.status, 200, 'server keeps serving');
});

t.test('middleware can catch a downstream error and answer itself', async (t) => {
  const errors: unknown[] = [];
  const { url } = await startServer(
    t,
    async () => {
      throw new Error('from handler');
    },
    undefined,
    {
      onError: (err: unknown) => errors.push(err),
      middleware: [
        async (ctx: Ctx, next: () => Promise<void>) => {
          try {
            await next();
          } catch (err) {
            ctx.response.status = 418;
            await ctx.response.end(`caught: ${(err as Error).message}`);
          }
        },
      ],
    },
  );
  const res = await request(url);
  t.equal(res.statusCode, 418);
  t.equal(await res.body.text(), 'caught: from handler');
  await sleep(50);
  t.equal(errors.length, 0, 'a handled error is not emitted');
});

t.test('a middleware that throws before next() → 500, handler not called', async (t) => {
  let handlerCalls = 0;
  const { port } = await startServer(
    t,
    async (ctx: Ctx) => {
      handlerCalls++;
      await ctx.response.end('handler');
    },
    undefined,
    {
      onError: () => {},
      middleware: [
        async (ctx: Ctx, next: () => Promise<void>) => {
          if (ctx.request.path === '/deny') throw new Error('middleware failure');
          await next();
        },
      ],
    },
  );
  const c = await openRaw(t, port);
  await c.write(Buffer.concat([buildRequest({ target: '/deny' }), buildRequest({ target: '/pass' })]));
  const [a, b] = await c.readResponses(2);
  t.equal(a.status, 500);
  t.equal(b.status, 200);
  t.equal(handlerCalls, 1);
});

t.test('setting status after the response started throws SYSHTTP_ERR_RESPONSE_STARTED', async (t) => {
  let caught: unknown;
  const { port } = await startServer(t, async (ctx: Ctx) => {
    await ctx.response.write('x');
    try {
      ctx.response.status = 404;
    } catch (err) {
      caught = err;
    }
    await ctx.response.end('y');
  });
  const r = await rawRequest(port, buildRequest(), { responses: 1 });
  t.equal(r.parsed.responses[0]?.status, 200, 'the status already sent stands');
  t.equal(r.parsed.responses[0]?.body.toString(), 'xy');
  t.ok(caught instanceof SyshttpError, 'a SyshttpError');
  t.ok(caught instanceof Error, 'an Error');
  t.equal((caught as { code?: string }).code, 'SYSHTTP_ERR_RESPONSE_STARTED');
});

t.test('listen on a port in use rejects with SYSHTTP_ERR_LISTEN', async (t) => {
  const busy = await occupyPort(t);
  const server = createServer((async (ctx: Ctx) => ctx.response.end()) as never);
  t.teardown(() => stopQuietly(server));
  let err: unknown;
  try {
    await server.listen({ port: busy, host: '127.0.0.1' });
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof SyshttpError, 'a SyshttpError');
  t.equal((err as { code?: string }).code, 'SYSHTTP_ERR_LISTEN');
  t.type((err as { syscall?: unknown }).syscall, 'string', 'carries the failing syscall');
  t.ok((err as { errno?: unknown }).errno !== undefined, 'carries the errno');

  // same, against another syshttp server
  const first = await startServer(t, async (ctx: Ctx) => ctx.response.end());
  const second = createServer((async (ctx: Ctx) => ctx.response.end()) as never);
  t.teardown(() => stopQuietly(second));
  await t.rejects(second.listen({ port: first.port, host: '127.0.0.1' }), { code: 'SYSHTTP_ERR_LISTEN' });
});

t.test('createServer with an invalid argument throws SYSHTTP_ERR_INVALID_ARG', async (t) => {
  for (const bad of [123, 'handler', true]) {
    let err: unknown;
    try {
      createServer(bad as never);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof SyshttpError, `createServer(${JSON.stringify(bad)}) throws a SyshttpError`);
    t.equal((err as { code?: string }).code, 'SYSHTTP_ERR_INVALID_ARG');
  }
});

t.test('SyshttpError codes all start with SYSHTTP_ERR_', async (t) => {
  let err: unknown;
  try {
    createServer(123 as never);
  } catch (e) {
    err = e;
  }
  t.match((err as { code?: string }).code, /^SYSHTTP_ERR_[A-Z_]+$/);
  t.type((err as Error).message, 'string');
  t.ok((err as Error).message.length > 0, 'has a message');
});
