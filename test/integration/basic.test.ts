// Request/response basics: methods, HEAD, request and response fields, Date, status line,
// 204/304 framing, onStarting/onCompleted, middleware, the options-first createServer form,
// and curl as a client.
import t from 'tap';
import { request } from 'undici';
import net from 'node:net';
import { createServer } from '../../dist/index.js';
import {
  startServer,
  openRaw,
  rawRequest,
  buildRequest,
  parseResponses,
  headerValues,
  isRecentHttpDate,
  hasCurl,
  curl,
  waitFor,
  stopQuietly,
  type Ctx,
} from '../helpers/server';

const echoMethod = async (ctx: Ctx) => {
  ctx.response.headers.set('x-method', ctx.request.method);
  await ctx.response.end(ctx.request.method);
};

t.test('every method is passed to the handler and echoed', async (t) => {
  const { url } = await startServer(t, echoMethod);
  for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'M-SEARCH']) {
    const res = await request(`${url}/m`, { method });
    t.equal(res.statusCode, 200, `${method} status`);
    t.equal(res.headers['x-method'], method, `${method} seen by the handler`);
    t.equal(await res.body.text(), method, `${method} body`);
  }
});

t.test('custom token methods are passed through unchanged (methods are case-sensitive)', async (t) => {
  const { port } = await startServer(t, echoMethod);
  for (const method of ['PURGE', 'X-CUSTOM_1.0~!', 'get']) {
    const r = await rawRequest(port, buildRequest({ method, target: '/m' }), { responses: 1 });
    t.equal(r.parsed.responses.length, 1, `${method}: one response`);
    const res = r.parsed.responses[0];
    t.equal(res.status, 200, `${method} status`);
    t.equal(res.headers['x-method'], method, `${method} echoed exactly`);
    t.equal(res.body.toString(), method);
  }
});

t.test('HEAD: same headers as GET (Content-Length included), no body', async (t) => {
  const { port, url } = await startServer(t, async (ctx: Ctx) => {
    ctx.response.headers.set('x-method', ctx.request.method);
    ctx.response.headers.set('content-type', 'text/plain');
    await ctx.response.end('hello world');
  });

  const get = await request(`${url}/`);
  t.equal(get.headers['content-length'], '11');
  t.equal(await get.body.text(), 'hello world');

  const head = await request(`${url}/`, { method: 'HEAD' });
  t.equal(head.statusCode, 200);
  t.equal(head.headers['content-length'], '11', 'HEAD has the Content-Length GET would have');
  t.equal(head.headers['content-type'], 'text/plain');
  t.equal(head.headers['x-method'], 'HEAD');
  t.equal(await head.body.text(), '');

  // Byte-exact: a HEAD followed by a GET on one connection. If the HEAD response carried
  // body bytes, the second status line would not follow its head directly.
  const c = await openRaw(t, port);
  await c.write(Buffer.concat([buildRequest({ method: 'HEAD' }), buildRequest({ method: 'GET' })]));
  const [h, g] = await c.readResponses(2, { isHead: (i) => i === 0 });
  t.equal(h.status, 200);
  t.equal(h.headers['content-length'], '11');
  t.equal(h.raw.toString('latin1'), h.head, 'nothing after the HEAD response head');
  t.equal(g.status, 200);
  t.equal(g.body.toString(), 'hello world');
  t.equal(c.unread.length, 0, 'no stray bytes after the GET response');
});

t.test('request fields: target, path decoding, query, headers', async (t) => {
  let seen: Record<string, unknown> = {};
  const { port } = await startServer(t, async (ctx: Ctx) => {
    const req = ctx.request;
    const iterated: Array<[string, string]> = [];
    for (const [n, v] of req.headers) iterated.push([String(n), String(v)]);
    seen = {
      method: req.method,
      scheme: req.scheme,
      protocol: req.protocol,
      pathBase: req.pathBase,
      path: req.path,
      queryString: req.queryString,
      rawTarget: req.rawTarget,
      host: req.headers.get('HOST'),
      multi: req.headers.get('x-multi'),
      multiAll: req.headers.getAll('X-MULTI'),
      empty: req.headers.get('x-empty'),
      hasEmpty: req.headers.has('X-Empty'),
      trimmed: req.headers.get('x-trim'),
      missing: req.headers.get('x-missing'),
      hasMissing: req.headers.has('x-missing'),
      contentLength: req.contentLength,
      iterated,
      trace: ctx.traceIdentifier,
    };
    await ctx.response.end('ok');
  });

  const r = await rawRequest(
    port,
    'GET /a%20b/c?x=1&y=%20 HTTP/1.1\r\n' +
      'Host: example.test:8080\r\n' +
      'X-Multi: a\r\n' +
      'X-Empty:\r\n' +
      'x-multi: b\r\n' +
      'X-Trim: \t padded value \t \r\n' +
      '\r\n',
    { responses: 1 },
  );
  t.equal(r.parsed.responses[0]?.status, 200);
  t.equal(seen.method, 'GET');
  t.equal(seen.scheme, 'http');
  t.equal(seen.protocol, 'HTTP/1.1');
  t.equal(seen.pathBase, '');
  t.equal(seen.path, '/a b/c', 'path is percent-decoded');
  t.equal(seen.queryString, '?x=1&y=%20', 'query string is kept as sent, with its "?"');
  t.equal(seen.rawTarget, '/a%20b/c?x=1&y=%20');
  t.equal(seen.host, 'example.test:8080', 'get() is case-insensitive');
  t.equal(seen.multi, 'a, b', 'repeated fields are joined with ", "');
  t.same(seen.multiAll, ['a', 'b']);
  t.equal(seen.empty, '', 'an empty field value is kept');
  t.equal(seen.hasEmpty, true);
  t.equal(seen.trimmed, 'padded value', 'leading and trailing OWS removed');
  t.equal(seen.missing, undefined);
  t.equal(seen.hasMissing, false);
  t.equal(seen.contentLength, undefined, 'no body → contentLength undefined');
  t.type(seen.trace, 'string');
  t.ok((seen.trace as string).length > 0, 'traceIdentifier is not empty');

  const iterated = seen.iterated as Array<[string, string]>;
  const names = iterated.map(([n]) => n.toLowerCase());
  for (const n of ['host', 'x-multi', 'x-empty', 'x-trim']) t.ok(names.includes(n), `iteration yields ${n}`);
  const multi = iterated.filter(([n]) => n.toLowerCase() === 'x-multi').map(([, v]) => v);
  t.equal(multi.join(', '), 'a, b', 'iteration yields the repeated field values in order');

  // root path and no query
  await rawRequest(port, buildRequest({ target: '/' }), { responses: 1 });
  t.equal(seen.path, '/');
  t.equal(seen.queryString, '');
  t.equal(seen.rawTarget, '/');

  // HTTP/1.0
  const firstTrace = seen.trace;
  await rawRequest(port, 'GET /old HTTP/1.0\r\n\r\n', { responses: 1 });
  t.equal(seen.protocol, 'HTTP/1.0');
  t.equal(seen.path, '/old');
  t.not(seen.trace, firstTrace, 'traceIdentifier differs between requests');
});

t.test('connection info matches the client socket', async (t) => {
  let info: Record<string, unknown> = {};
  const { port } = await startServer(t, async (ctx: Ctx) => {
    const c = ctx.connection;
    info = {
      id: c.id,
      remoteAddress: c.remoteAddress,
      remotePort: c.remotePort,
      localAddress: c.localAddress,
      localPort: c.localPort,
    };
    await ctx.response.end('ok');
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest());
  const res = await c.readResponse();
  t.equal(res.status, 200);
  t.equal(info.remoteAddress, '127.0.0.1');
  t.equal(info.remotePort, c.localPort, 'remotePort is the client socket port');
  t.equal(info.localAddress, '127.0.0.1');
  t.equal(info.localPort, port);
  t.not(info.id, undefined, 'connection has an id');
});

t.test('connection addresses follow each client as clients alternate', async (t) => {
  // Address strings are reused from one connection to the next when the address bytes
  // repeat: a client from another address must not see the previous one's.
  const seen: string[] = [];
  const { port } = await startServer(
    t,
    async (ctx: Ctx) => {
      seen.push(`${ctx.connection.remoteAddress} ${ctx.connection.localAddress}`);
      await ctx.response.end('ok');
    },
    undefined,
    { host: '0.0.0.0' },
  );
  const ask = (localAddress: string, host: string) =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect({ port, host, localAddress }, () => s.end('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      s.on('error', reject).on('close', () => resolve()).resume();
    });
  const plan: Array<[string, string]> = [
    ['127.0.0.1', '127.0.0.1'],
    ['127.0.0.2', '127.0.0.1'],
    ['127.0.0.2', '127.0.0.3'],
    ['127.0.0.1', '127.0.0.1'],
  ];
  for (const [from, to] of plan) await ask(from, to);
  t.same(seen, plan.map(([from, to]) => `${from} ${to}`));
});

t.test('every response has a Date header (handler responses, errors, 204)', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    if (ctx.request.path === '/204') ctx.response.status = 204;
    if (ctx.request.path === '/throw') throw new Error('boom');
    await ctx.response.end();
  }, undefined, { onError: () => {} });
  const c = await openRaw(t, port);
  await c.write(
    Buffer.concat([
      buildRequest({ target: '/' }),
      buildRequest({ target: '/204' }),
      buildRequest({ target: '/throw' }),
    ]),
  );
  const rs = await c.readResponses(3);
  t.same(rs.map((r) => r.status), [200, 204, 500]);
  for (const r of rs) t.ok(isRecentHttpDate(r.headers['date']), `${r.status} has a valid Date: ${r.headers['date']}`);
  for (const r of rs) t.equal(headerValues(r, 'date').length, 1, 'exactly one Date field');

  const bad = await rawRequest(port, 'GET / HTTP/1.1\r\n\r\n'); // no Host → 400
  const r400 = bad.parsed.responses[0];
  t.equal(r400?.status, 400);
  t.ok(isRecentHttpDate(r400?.headers['date']), 'precomputed error responses have a Date too');
});

t.test('status, reason phrase and response header operations', async (t) => {
  let inHandler: Record<string, unknown> = {};
  const { port } = await startServer(t, async (ctx: Ctx) => {
    const res = ctx.response;
    inHandler.defaultStatus = res.status;
    res.status = 202;
    res.reason = 'Queued Up';
    res.headers.set('x-num', 42);
    res.headers.set('set-cookie', ['a=1', 'b=2']);
    res.headers.append('x-app', 'one');
    res.headers.append('x-app', 'two');
    res.headers.set('x-del', 'gone');
    res.headers.delete('x-del');
    res.headers.set('X-Case', 'v');
    inHandler = {
      ...inHandler,
      hasNum: res.headers.has('X-NUM'),
      num: String(res.headers.get('x-num')),
      hasDel: res.headers.has('x-del'),
      caseInsensitive: res.headers.get('x-case'),
    };
    await res.end('accepted');
  });
  const r = await rawRequest(port, buildRequest(), { responses: 1 });
  const res = r.parsed.responses[0];
  t.match(res.head, /^HTTP\/1\.1 202 Queued Up\r\n/, 'status line carries the custom reason');
  t.equal(inHandler.defaultStatus, 200, 'status defaults to 200');
  t.equal(res.headers['x-num'], '42', 'numbers are written as decimal');
  t.same(headerValues(res, 'set-cookie'), ['a=1', 'b=2'], 'an array value gives one field line each');
  t.equal(headerValues(res, 'x-app').join(', '), 'one, two', 'append() keeps both values, in order');
  t.equal(res.headers['x-del'], undefined, 'deleted header is not sent');
  t.equal(res.headers['x-case'], 'v');
  t.equal(inHandler.hasNum, true);
  t.equal(inHandler.num, '42');
  t.equal(inHandler.hasDel, false);
  t.equal(inHandler.caseInsensitive, 'v');
  t.equal(res.headers['content-length'], '8', 'end(body) sets Content-Length');
  t.equal(res.headers['transfer-encoding'], undefined);
  t.equal(res.body.toString(), 'accepted');
});

t.test('204 and 304 have no body and no Content-Length / Transfer-Encoding', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    if (ctx.request.path === '/204') ctx.response.status = 204;
    if (ctx.request.path === '/304') {
      ctx.response.status = 304;
      ctx.response.headers.set('etag', '"v1"');
    }
    await ctx.response.end();
  });
  const c = await openRaw(t, port);
  await c.write(
    Buffer.concat([
      buildRequest({ target: '/204' }),
      buildRequest({ target: '/304' }),
      buildRequest({ target: '/after' }),
    ]),
  );
  const [r204, r304, after] = await c.readResponses(3);
  for (const r of [r204, r304]) {
    t.equal(r.headers['content-length'], undefined, `${r.status}: no Content-Length`);
    t.equal(r.headers['transfer-encoding'], undefined, `${r.status}: no Transfer-Encoding`);
    t.equal(r.raw.toString('latin1'), r.head, `${r.status}: nothing after the head`);
  }
  t.equal(r204.status, 204);
  t.equal(r304.status, 304);
  t.equal(r304.headers['etag'], '"v1"');
  t.equal(after.status, 200, 'the next response follows directly');
});

t.test('hasStarted, start() flushes the head, onStarting and onCompleted', async (t) => {
  let releaseBody!: () => void;
  const bodyGate = new Promise<void>((r) => (releaseBody = r));
  const log: string[] = [];
  let before: unknown;
  let after: unknown;
  let completed = false;
  const { port } = await startServer(t, async (ctx: Ctx) => {
    ctx.response.onStarting(() => {
      log.push('starting');
      ctx.response.headers.set('x-from-onstarting', 'yes');
    });
    ctx.response.onCompleted(() => {
      log.push('completed');
      completed = true;
    });
    before = ctx.response.hasStarted;
    await ctx.response.start();
    after = ctx.response.hasStarted;
    log.push('started');
    await bodyGate;
    await ctx.response.write('late body');
    await ctx.response.end();
  });
  const c = await openRaw(t, port);
  await c.write(buildRequest());
  await c.waitForText('\r\n\r\n'); // the head arrives while the body is still held back
  t.match(c.data.toString('latin1'), /^HTTP\/1\.1 200 /);
  t.match(c.data.toString('latin1'), /\r\nx-from-onstarting: yes\r\n/i, 'onStarting can still add headers');
  t.equal(before, false, 'hasStarted is false before start()');
  t.equal(after, true, 'hasStarted is true after start()');
  t.notOk(completed, 'onCompleted has not run yet');
  releaseBody();
  const res = await c.readResponse();
  t.equal(res.body.toString(), 'late body');
  t.ok(res.chunked, 'started without Content-Length → chunked');
  await waitFor(() => completed, 5000, 'onCompleted');
  t.same(log, ['starting', 'started', 'completed']);
});

t.test('middleware runs in order around the handler; createServer() + use()', async (t) => {
  const order: string[] = [];
  const { url } = await startServer(t, null, undefined, {
    middleware: [
      async (ctx: Ctx, next: () => Promise<void>) => {
        order.push('mw1 in');
        ctx.response.headers.set('x-mw1', '1');
        await next();
        order.push('mw1 out');
      },
      async (ctx: Ctx, next: () => Promise<void>) => {
        order.push('mw2 in');
        if (ctx.request.path === '/short') {
          await ctx.response.end('short-circuit');
          return;
        }
        await next();
        order.push('mw2 out');
      },
      async (ctx: Ctx) => {
        order.push('last');
        await ctx.response.end('from last');
      },
    ],
  });
  const r1 = await request(`${url}/`);
  t.equal(await r1.body.text(), 'from last');
  t.equal(r1.headers['x-mw1'], '1');
  t.same(order, ['mw1 in', 'mw2 in', 'last', 'mw2 out', 'mw1 out']);

  order.length = 0;
  const r2 = await request(`${url}/short`);
  t.equal(await r2.body.text(), 'short-circuit');
  t.same(order, ['mw1 in', 'mw2 in', 'mw1 out'], 'a middleware that does not call next() ends the pipeline');
});

t.test('createServer(handler) with server.use(): middleware first, handler last', async (t) => {
  const order: string[] = [];
  const { url } = await startServer(
    t,
    async (ctx: Ctx) => {
      order.push('handler');
      await ctx.response.end('h');
    },
    undefined,
    {
      middleware: [
        async (_ctx: Ctx, next: () => Promise<void>) => {
          order.push('mw');
          await next();
        },
      ],
    },
  );
  const r = await request(url);
  t.equal(await r.body.text(), 'h');
  t.same(order, ['mw', 'handler']);
});

t.test('createServer(options, handler) applies the options', async (t) => {
  const server = createServer({ limits: { maxRequestLineSize: 100 } } as never, (async (ctx: Ctx) => {
    await ctx.response.end('ok');
  }) as never);
  t.teardown(() => stopQuietly(server));
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  const ok = await rawRequest(port, buildRequest({ target: '/short' }), { responses: 1 });
  t.equal(ok.parsed.responses[0]?.status, 200);
  const long = await rawRequest(port, buildRequest({ target: '/' + 'a'.repeat(200) }));
  t.equal(long.parsed.responses[0]?.status, 414, 'the configured request-line limit applies');
});

t.test('server.backend names the backend this run asked for', async (t) => {
  const { server } = await startServer(t, async (ctx: Ctx) => ctx.response.end());
  // npm test runs this suite once per backend (scripts/test.js sets SYSHTTP_BACKEND).
  const wanted = process.env.SYSHTTP_BACKEND;
  if (wanted === 'epoll' || wanted === 'io_uring') t.equal(server.backend, wanted);
  else t.ok(server.backend === 'io_uring' || server.backend === 'epoll', `auto chose ${server.backend}`);
});

t.test('curl GET', { skip: hasCurl ? false : 'curl is not on PATH' }, async (t) => {
  const { url } = await startServer(t, async (ctx: Ctx) => {
    ctx.response.headers.set('content-type', 'text/plain');
    await ctx.response.end(`hello ${ctx.request.path}${ctx.request.queryString}`);
  });
  const r = await curl(['-sS', '--http1.1', '-i', '--max-time', '30', `${url}/from-curl?x=1`]);
  t.equal(r.code, 0, `curl exit status (stderr: ${r.stderr})`);
  const parsed = parseResponses(r.stdout, { eof: true });
  t.equal(parsed.responses.length, 1);
  t.equal(parsed.responses[0].status, 200);
  t.equal(parsed.responses[0].headers['content-type'], 'text/plain');
  t.equal(parsed.responses[0].body.toString(), 'hello /from-curl?x=1');

  const head = await curl(['-sS', '--http1.1', '-I', '--max-time', '30', `${url}/h`]);
  t.equal(head.code, 0, `curl -I exit status (stderr: ${head.stderr})`);
  const ph = parseResponses(head.stdout, { eof: true, isHead: () => true });
  t.equal(ph.responses[0]?.status, 200);
  t.equal(ph.responses[0]?.headers['content-length'], String('hello /h'.length));
});
