// lib internals without sockets: option validation, headers, the pipeline, features.
import t from 'tap';
import {
  compose,
  createServer,
  FeatureCollection,
  featureKey,
  ResponseHeaders,
  SyshttpError,
} from '../../dist/index.js';
import { resolveLimits } from '../../dist/options.js';
import { FieldLines } from '../../dist/headers.js';

t.test('createServer validates its arguments', async (t) => {
  for (const bad of [123, 'x', null, true]) {
    t.throws(() => createServer(bad as never), { code: 'SYSHTTP_ERR_INVALID_ARG' }, String(bad));
  }
  t.throws(() => createServer(() => {}, 5 as never), { code: 'SYSHTTP_ERR_INVALID_ARG' });
  t.throws(() => createServer({ backend: 'kqueue' as never }), { code: 'SYSHTTP_ERR_BACKEND_UNAVAILABLE' });
  t.throws(() => createServer({ limits: { maxRequestLineSize: -1 } }), { code: 'SYSHTTP_ERR_INVALID_ARG' });
  t.throws(() => createServer({ limits: { nope: 1 } as never }), { code: 'SYSHTTP_ERR_INVALID_ARG' });
  const s = createServer();
  t.throws(() => s.use(42 as never), { code: 'SYSHTTP_ERR_INVALID_ARG' });
  await t.rejects(s.listen({ port: 70000 }), { code: 'SYSHTTP_ERR_INVALID_ARG' });
});

t.test('limits default to Kestrel values and map to native units', async (t) => {
  const l = resolveLimits(undefined);
  t.equal(l.maxRequestLineSize, 8192);
  t.equal(l.maxRequestHeadersTotalSize, 32768);
  t.equal(l.maxRequestHeaderCount, 100);
  t.equal(l.maxRequestBodySize, 30_000_000);
  t.equal(l.keepAliveTimeout, 130_000);
  t.equal(l.requestHeadersTimeout, 30_000);
  t.equal(l.minRequestBodyBytesPerSecond, 240);
  t.equal(l.minRequestBodyGracePeriod, 5000);
  t.equal(l.maxConcurrentConnections, 0);
  const off = resolveLimits({ maxRequestBodySize: null, minRequestBodyDataRate: null, maxConcurrentConnections: 3 });
  t.equal(off.maxRequestBodySize, null);
  t.equal(off.minRequestBodyBytesPerSecond, 0);
  t.equal(off.maxConcurrentConnections, 3);
});

t.test('response headers validate and serialise', async (t) => {
  const h = new ResponseHeaders();
  h.set('Content-Type', 'text/plain');
  h.append('Set-Cookie', 'a=1');
  h.append('set-cookie', ['b=2', 'c=3']);
  h.set('X-Num', 5);
  t.equal(h.get('content-type'), 'text/plain');
  t.same(h.getAll('SET-COOKIE'), ['a=1', 'b=2', 'c=3']);
  t.equal(h.serialize(), 'Content-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nSet-Cookie: c=3\r\nX-Num: 5\r\n');
  t.throws(() => h.set('Bad Name', 'x'), { code: 'SYSHTTP_ERR_INVALID_HEADER' });
  t.throws(() => h.set('X', 'a\r\nInjected: yes'), { code: 'SYSHTTP_ERR_INVALID_HEADER' });
  t.throws(() => h.set('X', 'nul\0'), { code: 'SYSHTTP_ERR_INVALID_HEADER' });
  t.throws(() => h.set('X', '\u2603'), { code: 'SYSHTTP_ERR_INVALID_HEADER' });
  h.set('Transfer-Encoding', 'chunked');
  t.notMatch(h.serialize(), /transfer-encoding/i, 'framing is the server\'s');
  h.locked = true;
  t.throws(() => h.set('X', 'y'), { code: 'SYSHTTP_ERR_RESPONSE_STARTED' });
  t.throws(() => h.delete('X-Num'), { code: 'SYSHTTP_ERR_RESPONSE_STARTED' });
});

t.test('field lines: a repeated head is reused, and only when every line repeats', async (t) => {
  const f = new FieldLines();
  const fill = (fields: [string, unknown][]): string => {
    f.reset();
    for (const [n, v] of fields) f.add(n, v);
    return f.lines;
  };
  const a = fill([['Server', 'x'], ['Content-Length', 11]]);
  t.equal(a, 'Server: x\r\nContent-Length: 11\r\n');
  t.equal(f.contentLength, '11');
  t.equal(fill([['Server', 'x'], ['Content-Length', 11]]), a, 'same lines');
  t.equal(fill([['Server', 'x'], ['Content-Length', 12]]), 'Server: x\r\nContent-Length: 12\r\n');
  t.equal(fill([['Server', 'x']]), 'Server: x\r\n', 'fewer lines');
  t.equal(fill([['Server', 'x'], ['Content-Length', 12], ['Date', 'now']]), 'Server: x\r\nContent-Length: 12\r\nDate: now\r\n');
  t.ok(f.hasDate);
  // Lines added but never read (a writeHead that threw) must not pass for the joined ones.
  fill([['Server', 'x'], ['Content-Length', 12], ['Date', 'now']]);
  f.reset();
  f.add('Server', 'y');
  f.add('Content-Length', 1);
  f.add('Date', 'then');
  t.equal(fill([['Server', 'y'], ['Content-Length', 1], ['Date', 'then']]), 'Server: y\r\nContent-Length: 1\r\nDate: then\r\n');
  t.equal(fill([['Server', 'x'], ['Content-Length', 12], ['Date', 'now']]), 'Server: x\r\nContent-Length: 12\r\nDate: now\r\n');
  // A value remembered for a name is still checked as the name's when it comes again.
  t.throws(() => fill([['Content-Length', 'x1']]), { code: 'SYSHTTP_ERR_INVALID_HEADER' });
  t.throws(() => fill([['Content-Length', 1], ['Content-Length', 1]]), { code: 'SYSHTTP_ERR_INVALID_HEADER' });
  t.throws(() => fill([['X', 'a\r\nb']]), { code: 'SYSHTTP_ERR_INVALID_HEADER' });
  t.throws(() => fill([['X', 'a\r\nb']]), { code: 'SYSHTTP_ERR_INVALID_HEADER' }, 'a refused value is not remembered');
  // An object value is converted each time (its string may change).
  let n = 0;
  const counter = { toString: () => String(++n) };
  t.equal(fill([['X-N', counter]]), 'X-N: 1\r\n');
  t.equal(fill([['X-N', counter]]), 'X-N: 2\r\n');
});

t.test('compose runs middleware in order and rejects a second next()', async (t) => {
  const order: string[] = [];
  const run = compose([
    async (_c, next) => {
      order.push('a1');
      await next();
      order.push('a2');
    },
    async (_c, next) => {
      order.push('b');
      await next();
    },
  ]);
  await run({} as never);
  t.same(order, ['a1', 'b', 'a2']);
  const twice = compose([
    async (_c, next) => {
      await next();
      await next();
    },
    () => {},
  ]);
  await t.rejects(twice({} as never), { code: 'SYSHTTP_ERR_SERVER_STATE' });
  const throwing = compose([
    () => {
      throw new Error('sync');
    },
  ]);
  await t.rejects(throwing({} as never), { message: 'sync' });
});

t.test('feature collection: defaults, overrides, unknown keys', async (t) => {
  const A = featureKey<{ a: number }>('A');
  const B = featureKey<{ b: number }>('B');
  const made = { a: 1 };
  const fc = new FeatureCollection((k) => (k === A ? made : undefined));
  t.equal(fc.get(A), made);
  t.equal(fc.get(B), undefined);
  const v0 = fc.version;
  fc.set(A, { a: 2 });
  t.equal(fc.get(A)?.a, 2);
  t.ok(fc.version > v0);
  fc.set(A, undefined);
  t.equal(fc.get(A), undefined, 'a feature can be removed');
});

t.test('SyshttpError carries code, status and message', async (t) => {
  const e = new SyshttpError('SYSHTTP_ERR_BODY_TOO_LARGE', 'x', { status: 413 });
  t.ok(e instanceof Error);
  t.equal(e.code, 'SYSHTTP_ERR_BODY_TOO_LARGE');
  t.equal(e.status, 413);
  t.match(e.message, /Request body too large: x/);
});
