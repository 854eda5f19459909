// Differential tests: the same app (Express 5, Express 4, Koa, plain node:http handlers) on
// node:http and on syshttp/node, the same raw requests to both; the responses must match
// (status line, fields, body) apart from what each server frames itself (Date, Connection,
// Keep-Alive, Transfer-Encoding vs Content-Length on streamed bodies).
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createServer } from '../../dist/node/index.js';

const load = createRequire(path.resolve(__dirname, '../../examples/package-less.js'));
const fixtures = path.resolve(__dirname, '../node/fixtures');
type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => void;
type Req = [method: string, target: string, headers?: Record<string, string>, body?: string | null, rawBody?: string];

function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', () => undefined);
    s.setTimeout(5000, () => s.destroy());
  });
}

function normalise(resp: string, port: number): unknown {
  resp = resp.split(`127.0.0.1:${port}`).join('HOST');
  const i = resp.indexOf('\r\n\r\n');
  if (i < 0) return { incomplete: resp.slice(0, 200) };
  const [statusLine, ...lines] = resp.slice(0, i).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const k = l.slice(0, l.indexOf(':')).toLowerCase();
    const v = l.slice(l.indexOf(':') + 1).trim();
    headers[k] = headers[k] !== undefined ? `${headers[k]} | ${v}` : v;
  }
  let body = resp.slice(i + 4);
  if ((headers['transfer-encoding'] ?? '').includes('chunked')) {
    let out = '';
    let p = 0;
    for (;;) {
      const e = body.indexOf('\r\n', p);
      const n = parseInt(body.slice(p, e), 16);
      if (!(n > 0)) break;
      out += body.slice(e + 2, e + 2 + n);
      p = e + 2 + n + 2;
    }
    body = out;
  }
  for (const k of ['date', 'connection', 'keep-alive', 'transfer-encoding', 'last-modified', 'etag']) delete headers[k];
  return { statusLine, headers, body };
}

async function compare(t: Tap.Test, name: string, make: () => Listener, requests: Req[]): Promise<void> {
  const a = http.createServer(make());
  const b = createServer(make());
  t.teardown(() => {
    a.close();
    a.closeAllConnections();
    b.close();
    b.closeAllConnections();
  });
  a.listen(0, '127.0.0.1');
  b.listen(0, '127.0.0.1');
  await Promise.all([once(a, 'listening'), once(b, 'listening')]);
  const pa = (a.address() as net.AddressInfo).port;
  const pb = (b.address() as net.AddressInfo).port;
  for (const [method, target, headers = {}, body = null, rawBody] of requests) {
    const build = (port: number) => {
      let h = `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n`;
      for (const [k, v] of Object.entries(headers)) h += `${k}: ${v}\r\n`;
      if (body !== null && headers['Content-Length'] === undefined) h += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
      return `${h}\r\n${rawBody ?? body ?? ''}`;
    };
    const [ra, rb] = await Promise.all([raw(pa, build(pa)), raw(pb, build(pb))]);
    const expected = normalise(ra, pa) as { headers?: Record<string, string> };
    const actual = normalise(rb, pb) as { headers?: Record<string, string> };
    // Where node:http chunks (writeHead then end(body)) or omits the length (HEAD),
    // syshttp sends Content-Length: the whole body was known (README: differences).
    if (expected.headers && actual.headers && expected.headers['content-length'] === undefined) delete actual.headers['content-length'];
    t.same(actual, expected, `${name}: ${method} ${target} ${JSON.stringify(headers)}`);
  }
}

const expressRequests: Req[] = [
  ['GET', '/send-empty'],
  ['GET', '/send-null'],
  ['GET', '/send-num'],
  ['GET', '/send-buf'],
  ['GET', '/send-obj'],
  ['GET', '/204'],
  ['GET', '/205'],
  ['GET', '/304'],
  ['GET', '/etag', { 'If-None-Match': '"asdf"' }],
  ['GET', '/etag'],
  ['GET', '/jsonp?callback=cb'],
  ['GET', '/redirect'],
  ['GET', '/back', { Referer: '/ref' }],
  ['GET', '/file'],
  ['HEAD', '/file'],
  ['GET', '/download'],
  ['GET', '/attachment'],
  ['GET', '/format', { Accept: 'text/html' }],
  ['GET', '/format', { Accept: 'application/json' }],
  ['GET', '/format', { Accept: 'image/png' }],
  ['GET', '/links'],
  ['GET', '/cookie', { Cookie: 'x=1; y=2' }],
  ['GET', '/query?a=1&d=1&d=2', { 'X-Requested-With': 'XMLHttpRequest' }],
  ['POST', '/json', { 'Content-Type': 'application/json' }, '{"a":[1,2]}'],
  ['POST', '/json', { 'Content-Type': 'application/json' }, '{bad'],
  ['POST', '/form', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'a=1&b=2&b=3'],
  ['POST', '/text', { 'Content-Type': 'text/plain; charset=utf-8' }, 'h\xc3\xa9llo'],
  ['POST', '/raw', { 'Content-Type': 'application/x-foo' }, 'rawbytes'],
  ['POST', '/limit', { 'Content-Type': 'application/json' }, '{"aaaaaaaaaaaaaaaa":1}'],
  ['POST', '/json', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, null, '7\r\n{"a":1}\r\n0\r\n\r\n'],
  ['GET', '/error'],
  ['GET', '/next-err'],
  ['GET', '/write'],
  ['GET', '/status-only'],
  ['GET', '/headers'],
  ['PUT', '/method', {}, 'x'],
  ['DELETE', '/method'],
  ['OPTIONS', '/method'],
  ['OPTIONS', '/query'],
  ['GET', '/range', { Range: 'bytes=0-4' }],
  ['GET', '/range', { Range: 'bytes=5-' }],
  ['GET', '/range', { Range: 'bytes=9999-' }],
  ['GET', '/static/'],
  ['GET', '/static/sub'],
  ['GET', '/static/sub/a.css'],
  ['GET', '/static/nope'],
  ['HEAD', '/static/sub/a.css'],
  ['GET', '/nowhere'],
  ['POST', '/nowhere', {}, 'abc'],
];

function expressApp(express: (() => unknown) & Record<string, (...a: unknown[]) => unknown>): () => Listener {
  return () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const app: any = express();
    const file = path.join(fixtures, 'a.txt');
    app.use('/static', express.static(fixtures));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    type R = any;
    app.get('/send-empty', (req: R, res: R) => res.send());
    app.get('/send-null', (req: R, res: R) => res.send(null));
    app.get('/send-num', (req: R, res: R) => res.status(201).send(0.5));
    app.get('/send-buf', (req: R, res: R) => res.send(Buffer.from('hello')));
    app.get('/send-obj', (req: R, res: R) => res.send({ a: 1 }));
    app.get('/204', (req: R, res: R) => res.status(204).set('Transfer-Encoding', 'chunked').send('foo'));
    app.get('/205', (req: R, res: R) => res.status(205).set('Transfer-Encoding', 'chunked').send('foo'));
    app.get('/304', (req: R, res: R) => res.status(304).set('Transfer-Encoding', 'chunked').send('foo'));
    app.get('/etag', (req: R, res: R) => res.set('ETag', '"asdf"').send('hey'));
    app.get('/jsonp', (req: R, res: R) => res.jsonp({ x: 1 }));
    app.get('/redirect', (req: R, res: R) => res.redirect(301, '/there?x=<y>'));
    app.get('/back', (req: R, res: R) => res.redirect(req.get('Referrer') || '/'));
    app.get('/file', (req: R, res: R) => res.sendFile(file));
    app.get('/download', (req: R, res: R) => res.download(file, 'report.txt'));
    app.get('/attachment', (req: R, res: R) => res.attachment('a b.pdf').send('pdf'));
    app.get('/format', (req: R, res: R) =>
      res.format({ text: () => res.send('text'), html: () => res.send('<b>html</b>'), json: () => res.json({ j: 1 }) }),
    );
    app.get('/links', (req: R, res: R) => res.links({ next: '/n', last: '/l' }).location('/loc').vary('Accept').send('l'));
    app.get('/cookie', (req: R, res: R) => {
      res.cookie('a', 'b', { path: '/p' });
      res.clearCookie('c');
      res.send(req.get('cookie') || '');
    });
    app.get('/query', (req: R, res: R) =>
      res.json({ q: req.query, path: req.path, host: req.hostname, ip: req.ip, protocol: req.protocol, secure: req.secure, xhr: req.xhr, fresh: req.fresh, accepts: req.accepts(['json', 'html']), originalUrl: req.originalUrl }),
    );
    app.post('/json', express.json(), (req: R, res: R) => res.json({ body: req.body }));
    app.post('/form', express.urlencoded({ extended: false }), (req: R, res: R) => res.json({ body: req.body }));
    app.post('/text', express.text(), (req: R, res: R) => res.type('text').send(req.body));
    app.post('/raw', express.raw({ type: '*/*' }), (req: R, res: R) => res.send(req.body));
    app.post('/limit', express.json({ limit: '10b' }), (req: R, res: R) => res.json(req.body));
    app.get('/error', () => {
      throw Object.assign(new Error('nope'), { status: 418 });
    });
    app.get('/next-err', (req: R, res: R, next: (e: Error) => void) => next(new Error('boom')));
    app.get('/write', (req: R, res: R) => {
      res.write('a');
      res.write(Buffer.from('b'));
      res.end('c');
    });
    app.get('/status-only', (req: R, res: R) => res.sendStatus(404));
    app.get('/headers', (req: R, res: R) => {
      res.set({ 'X-A': ['1', '2'], 'x-b': 'B' });
      res.append('X-A', '3');
      res.json({ sent: res.headersSent, names: res.getHeaderNames() });
    });
    app.all('/method', (req: R, res: R) => res.send(req.method));
    app.get('/range', (req: R, res: R) => res.sendFile(file, { acceptRanges: true }));
    app.use((err: R, req: R, res: R, next: unknown) => {
      void next;
      res.status(err.status || 500).send(`handled: ${err.message}`);
    });
    return app as Listener;
  };
}

t.test('Express 5: same responses as on node:http', async (t) => {
  await compare(t, 'express5', expressApp(load('express')), expressRequests);
});

t.test('Express 4: same responses as on node:http', async (t) => {
  await compare(
    t,
    'express4',
    expressApp(load('express4')),
    expressRequests,
  );
});

t.test('Koa: same responses as on node:http', async (t) => {
  const Koa = load('koa');
  const { Readable } = await import('node:stream');
  const make = () => {
    const app = new Koa();
    app.silent = true;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    app.use(async (ctx: any) => {
      if (ctx.path === '/stream') {
        ctx.body = Readable.from(['a', 'b']);
      } else if (ctx.path === '/json') {
        ctx.body = { q: ctx.query, ip: ctx.ip, fresh: ctx.fresh, secure: ctx.secure };
      } else if (ctx.path === '/redirect') {
        ctx.redirect('/x');
      } else if (ctx.path === '/status') {
        ctx.status = 204;
      } else if (ctx.path === '/throw') {
        ctx.throw(422, 'nope');
      } else if (ctx.path === '/buffer') {
        ctx.set('x-list', ['1', '2']);
        ctx.body = Buffer.from('buf');
      } else if (ctx.path === '/cookies') {
        ctx.cookies.set('a', 'b', { httpOnly: false });
        ctx.body = ctx.cookies.get('x') ?? 'none';
      }
    });
    return app.callback() as Listener;
  };
  await compare(t, 'koa', make, [
    ['GET', '/stream'],
    ['GET', '/json?a=1'],
    ['GET', '/redirect'],
    ['GET', '/status'],
    ['GET', '/throw'],
    ['GET', '/buffer'],
    ['HEAD', '/buffer'],
    ['GET', '/cookies', { Cookie: 'x=1' }],
    ['GET', '/missing'],
  ]);
});

t.test('plain node:http handlers: same responses', async (t) => {
  const make = (): Listener => (req, res) => {
    switch (req.url) {
      case '/implicit':
        res.statusCode = 202;
        res.setHeader('X-Multi', ['a', 'b']);
        res.end('implicit');
        return;
      case '/writehead-pairs':
        res.writeHead(200, 'Fine', [
          ['Set-Cookie', 'a=1'],
          ['Set-Cookie', 'b=2'],
        ]);
        res.end('pairs');
        return;
      case '/writehead-flat':
        res.writeHead(201, ['X-A', '1', 'x-a', '2', 'Content-Type', 'text/x']);
        res.end();
        return;
      case '/chunks':
        res.setHeader('content-type', 'text/plain');
        res.write('one ');
        res.write(Buffer.from('two '));
        res.end('three');
        return;
      case '/length':
        res.setHeader('Content-Length', 5);
        res.write('ab');
        res.end('cde');
        return;
      case '/latin1':
        res.end('caf\xe9', 'latin1');
        return;
      case '/hex':
        res.end('6869', 'hex');
        return;
      case '/headers-echo':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ headers: req.headers, raw: req.rawHeaders, distinct: req.headersDistinct, v: req.httpVersion, url: req.url, method: req.method }));
        return;
      case '/body': {
        const parts: Buffer[] = [];
        req.on('data', (c: Buffer) => parts.push(c));
        req.on('end', () => res.end(`${Buffer.concat(parts).length}:${JSON.stringify(req.trailers)}:${req.complete}`));
        return;
      }
      case '/empty':
        res.end();
        return;
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('none');
    }
  };
  await compare(t, 'plain', make, [
    ['GET', '/implicit'],
    ['GET', '/writehead-pairs'],
    ['GET', '/writehead-flat'],
    ['GET', '/chunks'],
    ['GET', '/length'],
    ['GET', '/latin1'],
    ['GET', '/hex'],
    ['GET', '/headers-echo', { 'X-Dup': 'a', 'x-dup': 'b', Cookie: 'c=1', cookie: 'd=2', 'Set-Cookie': 'e=3', Accept: 'a/b' }],
    ['POST', '/body', {}, 'x'.repeat(100_000)],
    ['POST', '/body', { 'Transfer-Encoding': 'chunked', Trailer: 'x-t' }, null, '3\r\nabc\r\n0\r\nx-t: 1\r\n\r\n'],
    ['GET', '/empty'],
    ['HEAD', '/implicit'],
    ['GET', '/nothing'],
  ]);
});

t.test('Fastify 5: same responses as on node:http', async (t) => {
  const Fastify = load('fastify');
  const { Readable } = await import('node:stream');
  const apps: Array<{ ready(): Promise<unknown>; close(): Promise<unknown> }> = [];
  const make = (): Listener => {
    let handler: Listener | null = null;
    const app = Fastify({
      serverFactory: (h: Listener) => {
        handler = h;
        return http.createServer();  // not listened on: compare() serves the handler itself
      },
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    type R = any;
    app.get('/', async () => 'Hello');
    app.get('/json/:id', async (req: R) => ({ id: req.params.id, q: req.query }));
    app.post('/echo', async (req: R, reply: R) => reply.code(201).send(req.body));
    app.get('/stream', (req: R, reply: R) => reply.type('text/plain').send(Readable.from(['x', 'y'])));
    app.get('/error', async () => {
      throw Object.assign(new Error('bad'), { statusCode: 409 });
    });
    app.get('/headers', (req: R, reply: R) => reply.header('set-cookie', ['a=1', 'b=2']).header('x-h', 'v').send('h'));
    apps.push(app);
    return (req, res) => (handler as Listener)(req, res);
  };
  const first = make();
  const second = make();
  await Promise.all(apps.map((a) => a.ready()));
  t.teardown(() => Promise.all(apps.map((a) => a.close())));
  let n = 0;
  await compare(t, 'fastify', () => (n++ === 0 ? first : second), [
    ['GET', '/'],
    ['GET', '/json/7?a=b'],
    ['POST', '/echo', { 'Content-Type': 'application/json' }, '{"k":[1]}'],
    ['POST', '/echo', { 'Content-Type': 'application/json' }, '{oops'],
    ['POST', '/echo', { 'Content-Type': 'text/plain' }, 'text body'],
    ['GET', '/stream'],
    ['GET', '/error'],
    ['GET', '/headers'],
    ['HEAD', '/'],
    ['GET', '/missing'],
    ['DELETE', '/'],
  ]);
});
