// The examples/ apps (Express 4, Express 5, Koa, Fastify 5 on syshttp/node), unchanged
// framework code, driven over real sockets.
import t from 'tap';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { request } from 'undici';
import { openRaw, buildRequest } from '../helpers/server';
import { closeServer } from '../node/helpers';

const examples = path.resolve(__dirname, '../../examples');
const load = createRequire(path.join(examples, 'package-less.js'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyServer = any;

async function get(url: string, init: Parameters<typeof request>[1] = {}) {
  const r = await request(url, init);
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
}

for (const name of ['express4', 'express5']) {
  t.test(`${name} example`, async (t) => {
    const { start } = load(path.join(examples, `${name}.js`));
    const server: AnyServer = await start(0, '127.0.0.1');
    t.teardown(() => closeServer(server));
    const url = `http://127.0.0.1:${server.address().port}`;
    let seenRequest: http.IncomingMessage | null = null;
    server.prependListener('request', (req: http.IncomingMessage) => (seenRequest = req));

    let r = await get(`${url}/`);
    t.equal(r.status, 200);
    t.equal(r.text, 'Hello, World!');
    t.equal(r.headers['x-powered-by'], 'Express');
    t.match(r.headers['content-type'], /^text\/html/);
    t.match(r.headers.etag, /^W\//, 'etag from res.send');
    t.ok(seenRequest !== null && (seenRequest as http.IncomingMessage) instanceof http.IncomingMessage, 'still an IncomingMessage after the prototype swap');

    r = await get(`${url}/users/42?sort=asc`);
    t.equal(r.status, 200);
    t.same(JSON.parse(r.text), { id: '42', query: { sort: 'asc' }, ip: '127.0.0.1', protocol: 'http', host: '127.0.0.1' });
    t.equal(r.headers['x-powered-by-test'], 'syshttp');

    r = await get(`${url}/echo`, { method: 'POST', body: JSON.stringify({ a: [1, 2] }), headers: { 'content-type': 'application/json' } });
    t.equal(r.status, 201);
    t.same(JSON.parse(r.text), { got: { a: [1, 2] } });

    r = await get(`${url}/cookies`);
    t.same(r.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/; HttpOnly'], 'two Set-Cookie fields');

    r = await get(`${url}/redirect`);
    t.equal(r.status, 302);
    t.equal(r.headers.location, '/');

    r = await get(`${url}/file`);
    t.equal(r.status, 200);
    t.equal(r.text, readFileSync(path.join(examples, `${name}.js`), 'utf8'), 'res.sendFile streams the file');
    t.match(r.headers['content-type'], /javascript/);

    const fresh = await get(`${url}/file`, { headers: { 'if-none-match': String(r.headers.etag) } });
    t.equal(fresh.status, 304, 'conditional GET: 304');
    t.equal(fresh.text, '');

    r = await get(`${url}/stream`);
    t.equal(r.text, 'chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\ndone');

    const quiet = process.env.NODE_ENV;
    process.env.NODE_ENV = 'test';  // finalhandler logs errors outside 'test'
    t.teardown(() => {
      process.env.NODE_ENV = quiet;
    });
    r = await get(`${url}/error`);
    t.equal(r.status, 500, 'a throwing route: 500 from the error handler');
    r = await get(`${url}/async-error`);
    t.equal(r.status, 500, 'an asynchronous error: 500');
    r = await get(`${url}/nowhere`);
    t.equal(r.status, 404);
    t.match(r.text, /Cannot GET \/nowhere/);

    const head = await request(`${url}/`, { method: 'HEAD' });
    await head.body.text();
    t.equal(head.statusCode, 200);
    t.equal(head.headers['content-length'], '13', 'HEAD: the GET length, no body');

    // Keep-alive across Express responses on one connection.
    const c = await openRaw(t, server.address().port);
    await c.write(Buffer.concat([buildRequest({ target: '/' }), buildRequest({ target: '/users/1' })]));
    const [a, b] = await c.readResponses(2);
    t.equal(a.body.toString(), 'Hello, World!');
    t.equal(JSON.parse(b.body.toString()).id, '1');
  });
}

t.test('koa example', async (t) => {
  const { start } = load(path.join(examples, 'koa.js'));
  const server: AnyServer = await start(0, '127.0.0.1');
  t.teardown(() => closeServer(server));
  const url = `http://127.0.0.1:${server.address().port}`;

  let r = await get(`${url}/`);
  t.equal(r.status, 200);
  t.equal(r.text, 'Hello, World!');
  t.match(r.headers['x-response-time'], /^\d+ms$/, 'middleware ran after next()');

  r = await get(`${url}/json?x=1`);
  t.same(JSON.parse(r.text), { path: '/json', query: { x: '1' }, method: 'GET', ip: '127.0.0.1' });

  const body = Buffer.alloc(300_000, 0x7a);
  r = await get(`${url}/echo`, { method: 'POST', body, headers: { 'content-type': 'application/x-test' } });
  t.equal(r.status, 200);
  t.equal(r.headers['content-type'], 'application/x-test');
  t.equal(r.text, body.toString(), 'a 300 kB body echoed');

  r = await get(`${url}/stream`);
  t.equal(r.text, 'abc', 'a stream body');
  r = await get(`${url}/error`);
  t.equal(r.status, 418);
  t.equal(r.text, 'teapot');
  r = await get(`${url}/crash`);
  t.equal(r.status, 500);
  r = await get(`${url}/nothing`);
  t.equal(r.status, 404);
});

t.test('fastify example (serverFactory)', async (t) => {
  const { createApp } = load(path.join(examples, 'fastify.js'));
  const app = createApp();
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const server: AnyServer = app.server;
  t.equal(typeof server.syshttp, 'object', 'the server is syshttp/node');
  const url = `http://127.0.0.1:${server.address().port}`;

  let r = await get(`${url}/`);
  t.equal(r.status, 200);
  t.equal(r.text, 'Hello, World!');

  r = await get(`${url}/json/9?q=z`);
  t.same(JSON.parse(r.text), { id: '9', query: { q: 'z' }, ip: '127.0.0.1' });

  r = await get(`${url}/echo`, { method: 'POST', body: JSON.stringify({ n: 5 }), headers: { 'content-type': 'application/json' } });
  t.equal(r.status, 201);
  t.same(JSON.parse(r.text), { got: { n: 5 } });

  r = await get(`${url}/headers`);
  t.equal(r.headers['x-one'], '1');
  t.same(r.headers['set-cookie'], ['a=1', 'b=2']);

  r = await get(`${url}/stream`);
  t.equal(r.text, 'xyz');

  r = await get(`${url}/error`);
  t.equal(r.status, 500);
  t.equal(JSON.parse(r.text).message, 'boom');

  r = await get(`${url}/missing`);
  t.equal(r.status, 404);

  r = await get(`${url}/echo`, { method: 'POST', body: '{bad json', headers: { 'content-type': 'application/json' } });
  t.equal(r.status, 400, 'malformed JSON: 400 from fastify');

  // inject() bypasses the server; it must still work with serverFactory.
  const injected = await app.inject({ method: 'GET', url: '/' });
  t.equal(injected.body, 'Hello, World!');
});

t.test('Express: a body over the server limit reaches the error handler as a 413', async (t) => {
  const express = load('express');
  const { createServer } = load(path.resolve(__dirname, '../../dist/node/index.js'));
  const app = express();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  app.post('/', express.text({ type: '*/*' }), (req: any, res: any) => res.send(`got ${req.body}`));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  app.use((err: any, req: any, res: any, next: unknown) => {
    void next;
    res.status(err.status).send(`error ${err.status}`);
  });
  const server: AnyServer = createServer({ limits: { maxRequestBodySize: 16 } }, app);
  t.teardown(() => closeServer(server));
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${server.address().port}/`;
  let r = await get(url, { method: 'POST', body: 'short', headers: { 'content-type': 'text/plain' } });
  t.equal(r.text, 'got short');
  r = await get(url, { method: 'POST', body: 'x'.repeat(100), headers: { 'content-type': 'text/plain' } });
  t.equal(r.status, 413);
  t.equal(r.text, 'error 413');
});

t.test("Express's sendFile after the client went away calls back with ECONNABORTED (on-finished sees the closed socket)", async (t) => {
  const express = load('express4');
  const onFinished = load('on-finished') as { isFinished(res: unknown): boolean };
  const { createServer } = load('../dist/node/index.js');
  let outcome: { code?: string; finished?: boolean; socket?: string } | null = null;
  const app = express();
  app.get('/file', (req: http.IncomingMessage, res: AnyServer) => {
    req.on('close', () => {
      const socket = res.socket as { writable?: boolean } | null;
      const seen = { finished: onFinished.isFinished(res), socket: socket === null ? 'null' : `writable ${String(socket.writable)}` };
      res.sendFile(__filename, (err: NodeJS.ErrnoException | undefined) => (outcome = { ...seen, code: err?.code }));
    });
  });
  const server = createServer(app);
  t.teardown(() => closeServer(server));
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as { port: number }).port;

  const c = await openRaw(t, port);
  await c.write(buildRequest({ target: '/file' }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  c.destroy();
  const deadline = Date.now() + 3000;
  while (outcome === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.same(outcome, { finished: true, socket: 'writable false', code: 'ECONNABORTED' }, "the callback runs, as on node:http");
});
