// The Windows tests: real clients on Linux against test/windows/server.js, which runs
// the cross-built addon inside Windows node.exe on HTTP.sys under Wine (started by
// scripts/test-windows.js, which passes SYSHTTP_WINDOWS_BASE, the first of its ports).
// A test that needs what Wine's http.sys lacks is skipped under Wine only
// (SYSHTTP_UNDER_WINE=1), with the reason; on real Windows it runs.
import t from 'tap';
import net from 'node:net';
import http from 'node:http';
import { raw } from './raw';
import { createServer } from '../../dist/index.js';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { makeApp } = require('./app.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const syshttp = require('../../dist/index.js');

const base = Number(process.env.SYSHTTP_WINDOWS_BASE);
const underWine = process.env.SYSHTTP_UNDER_WINE === '1';
const main = `http://127.0.0.1:${base}`;

if (!Number.isInteger(base) || base <= 0) {
  t.fail('SYSHTTP_WINDOWS_BASE is not set: run these tests with npm run test:windows');
  process.exit(1);
}

function wineSkip(reason: string): { skip: string | false } {
  return { skip: underWine ? `Wine's http.sys: ${reason}` : false };
}


// node:http, not undici/fetch: Wine's http.sys needs the field name "Host" capitalised
// (a lower-case "host" gets a 400, and took its http.sys driver down once), and a Host
// whose port matches the registered URL.
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}
function get(url: string, init: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.end(init.body);
  });
}
t.teardown(() => agent.destroy());

t.test('the backend is httpsys', async (t) => {
  const r = await get(`${main}/info`);
  t.equal(r.status, 200);
  t.equal(JSON.parse(r.text).backend, 'httpsys');
  const info = JSON.parse((await get(`${main}/control/backend-info`)).text);
  t.equal(info.name, 'httpsys');
  t.match(info.detail, /HTTP Server API 2\.0/);
});

t.test('GET with a body and Content-Length', async (t) => {
  const r = await get(`${main}/hello`);
  t.equal(r.status, 200);
  t.equal(r.text, 'hello world');
  t.equal(r.headers['content-length'], '11');
  t.equal(r.headers['content-type'], 'text/plain');
  t.ok(r.headers.date, 'HTTP.sys adds Date');
});

t.test('HEAD: the length of GET, no body', async (t) => {
  const out = await raw(base, `HEAD /hello HTTP/1.1\r\nHost: 127.0.0.1:${base}\r\nConnection: close\r\n\r\n`);
  t.match(out, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(out, /\r\nContent-Length: 11\r\n/i);
  t.equal(out.split('\r\n\r\n')[1], '', 'no body');
});

t.test('POST small bodies: echo and JSON', async (t) => {
  const r = await get(`${main}/echo`, { method: 'POST', body: 'abc123', headers: { 'content-type': 'text/x-test' } });
  t.equal(r.status, 200);
  t.equal(r.text, 'abc123');
  t.equal(r.headers['content-type'], 'text/x-test');
  t.equal(r.headers['x-received-length'], '6');
  const bytes = Buffer.alloc(50_000, 7);
  const big = await get(`${main}/echo`, { method: 'POST', body: bytes });
  t.equal(big.headers['x-received-length'], '50000', '50 kB arrives whole (several entity-body reads)');
  const j = await get(`${main}/json`, { method: 'POST', body: JSON.stringify({ a: [1, 2] }), headers: { 'content-type': 'application/json' } });
  t.same(JSON.parse(j.text), { got: { a: [1, 2] } });
  const empty = await get(`${main}/echo`, { method: 'POST', body: '' });
  t.equal(empty.headers['x-received-length'], '0');
});

t.test('request and response fields', async (t) => {
  const r = await get(`${main}/headers`, { headers: { 'x-one': 'first', 'user-agent': 'syshttp-test', accept: 'text/plain' } });
  const seen = JSON.parse(r.text);
  t.equal(seen['x-one'], 'first', 'unknown request header');
  t.equal(seen['user-agent'], 'syshttp-test', 'known request header');
  t.equal(seen.accept, 'text/plain');
  t.match(seen.host, /^127\.0\.0\.1:/);
  const out = await raw(base, `GET /cookies HTTP/1.1\r\nHost: 127.0.0.1:${base}\r\nConnection: close\r\n\r\n`);
  const cookies = out.split('\r\n').filter((l) => /^set-cookie:/i.test(l));
  t.same(cookies.map((l) => l.replace(/^set-cookie:\s*/i, '')), ['a=1; Path=/', 'b=2; HttpOnly', 'c=3'], 'three Set-Cookie, in order');
  const multi = out.split('\r\n').filter((l) => /^x-multi:/i.test(l));
  t.equal(multi.length, 2, 'a repeated unknown field stays repeated');
  t.match(out, /\r\nCache-Control: no-store\r\n/i);
  t.match(out, /\r\nx-custom: custom value\r\n/i);
});

t.test('keep-alive: several requests on one connection', async (t) => {
  const one = `GET /hello HTTP/1.1\r\nHost: 127.0.0.1:${base}\r\n\r\n`;
  const out = await new Promise<string>((resolve, reject) => {
    const s = net.connect(base, '127.0.0.1');
    let got = '';
    let sent = 1;
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      got += d;
      const answered = got.split('hello world').length - 1;
      if (answered === sent && sent < 3) {
        sent++;
        s.write(one);
      } else if (answered === 3) {
        s.end();
        resolve(got);
      }
    });
    s.on('error', reject);
    s.write(one);
  });
  t.equal(out.match(/HTTP\/1\.1 200 OK/g)?.length, 3, 'three responses on one socket');
});

t.test('HTTP/1.0 and Connection: close end the connection', async (t) => {
  const out = await raw(base, `GET /hello HTTP/1.0\r\nHost: 127.0.0.1:${base}\r\n\r\n`, 2000);
  t.match(out, /^HTTP\/1\.[01] 200/);
  t.match(out, /hello world$/);
});

t.test('concurrent clients', async (t) => {
  // Fewer than the 8 receives the backend keeps outstanding: Wine serves no more at once.
  const started = Date.now();
  const all = await Promise.all(Array.from({ length: 6 }, () => get(`${main}/slow?ms=600`)));
  for (const r of all) t.equal(r.text, 'slept 600');
  t.ok(Date.now() - started < 6 * 600, `served at the same time (${Date.now() - started} ms)`);
});

t.test('status codes, errors and declared lengths', async (t) => {
  const s404 = await get(`${main}/nope`);
  t.equal(s404.status, 404);
  const s418 = await get(`${main}/status/418`);
  t.equal(s418.status, 418);
  t.equal(s418.text, 'status 418');
  const s204 = await get(`${main}/status/204`);
  t.equal(s204.status, 204);
  t.equal(s204.text, '');
  const boom = await get(`${main}/throw`);
  t.equal(boom.status, 500, 'a handler that throws is a 500');
  const declared = await get(`${main}/declared`);
  t.equal(declared.headers['content-length'], '5');
  t.equal(declared.text, '12345');
});

t.test('a streamed response arrives whole', async (t) => {
  const r = await get(`${main}/stream`);
  t.equal(r.text, 'chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\ndone\n');
});

t.test('a streamed response goes out as it is written (chunked)', wineSkip('HttpSendResponseEntityBody aborts the process; the backend holds streamed responses there'), async (t) => {
  const out = await raw(base, `GET /stream HTTP/1.1\r\nHost: 127.0.0.1:${base}\r\nConnection: close\r\n\r\n`, 1000);
  t.match(out, /\r\nTransfer-Encoding: chunked\r\n/i);
});

t.test('limits: the per-request body size limit is a 413', async (t) => {
  const r = await get(`${main}/limit`, { method: 'POST', body: 'x'.repeat(40) });
  t.equal(r.status, 413);
  const ok = await get(`${main}/limit`, { method: 'POST', body: 'x'.repeat(10) });
  t.equal(ok.text, 'got 10');
});

t.test('limits HTTP.sys enforces itself (timeouts, connections, queue length)', wineSkip('property setters other than the URL-group binding return ERROR_CALL_NOT_IMPLEMENTED (120)'), async (t) => {
  const info = JSON.parse((await get(`${main}/control/backend-info`)).text);
  t.notMatch(info.detail, /ignored by this http\.sys/);
});

t.test('bodies over 100 kB', wineSkip('a 300 kB body stalls (seen: no response in 8 s)'), async (t) => {
  const r = await get(`${main}/echo`, { method: 'POST', body: Buffer.alloc(300_000, 1) });
  t.equal(r.headers['x-received-length'], '300000');
});

t.test('chunked request bodies', wineSkip('a chunked request body arrives empty (seen: 0 bytes read)'), async (t) => {
  const out = await raw(base, `POST /echo HTTP/1.1\r\nHost: 127.0.0.1:${base}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, 1500);
  t.match(out, /\r\n\r\nabc$/);
});

t.test('Expect: 100-continue with the body sent at once', async (t) => {
  const out = await raw(base, `POST /echo HTTP/1.1\r\nHost: 127.0.0.1:${base}\r\nExpect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc`, 1500);
  t.match(out, /abc$/);
});

t.test('kernel response cache: a response with cacheTtl is sent with its cache policy', async (t) => {
  const first = await get(`${main}/cached`);
  t.equal(first.status, 200);
  t.match(first.text, /^hit \d+ cache 30$/, 'the app set cacheTtl and answered');
});

t.test('kernel response cache: HTTP.sys serves the cached response without the app', wineSkip('no kernel response cache (seen: every request reaches the app)'), async (t) => {
  const a = await get(`${main}/cached?same`);
  const b = await get(`${main}/cached?same`);
  t.equal(b.text, a.text, 'the second answer is the cached first one (same hit count)');
});

t.test('the feature objects are the ones Linux gives', async (t) => {
  const linux = createServer(makeApp(syshttp));
  const addr = await linux.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => linux.stop({ timeout: 1000 }));
  const win = JSON.parse((await get(`${main}/features?a=b`, { headers: { 'x-test': '1' } })).text);
  const lin = JSON.parse((await get(`http://127.0.0.1:${addr.port}/features?a=b`, { headers: { 'x-test': '1' } })).text);
  // HTTP.sys alone has a kernel response cache: the one feature Linux lacks.
  t.same(win.HttpResponseCacheFeature, { class: 'ResponseCacheFeature', shape: { cacheTtl: 'undefined', ex: 'object' } }, 'HttpResponseCacheFeature on HTTP.sys');
  t.equal(lin.HttpResponseCacheFeature, 'undefined', 'no HttpResponseCacheFeature on Linux');
  delete win.HttpResponseCacheFeature;
  delete lin.HttpResponseCacheFeature;
  t.same(win, lin, 'same features, classes, properties and property types');
  const wi = JSON.parse((await get(`${main}/info?x=1`)).text);
  const li = JSON.parse((await get(`http://127.0.0.1:${addr.port}/info?x=1`)).text);
  for (const key of ['method', 'scheme', 'protocol', 'pathBase', 'path', 'queryString', 'rawTarget', 'contentLength']) {
    t.equal(wi[key], li[key], key);
  }
  t.equal(wi.connection.remoteAddress, '127.0.0.1');
  t.equal(wi.connection.localPort, base);
  t.equal(typeof wi.connection.remotePort, 'number');
});

// Last: stops the server.
t.test('graceful stop: the request in flight completes, then the server is gone', async (t) => {
  const slow = get(`${main}/slow?ms=1500`);
  await new Promise((r) => setTimeout(r, 300));
  const stop = await get(`${main}/control/stop`);
  t.equal(stop.status, 200, 'the request that stops the server is answered');
  const r = await slow;
  t.equal(r.status, 200, 'the request in flight completes');
  t.equal(r.text, 'slept 1500');
  await new Promise((r) => setTimeout(r, 500));
  agent.destroy();
  const after = await get(`${main}/hello`).then(
    (x) => x.status,
    (err: Error) => err.message,
  );
  t.not(after, 200, `no longer served (${after})`);
});
