// syshttp/node on HTTP.sys: real clients on Linux against test/windows/node-server.js,
// which runs the node:http API over the cross-built addon inside Windows node.exe under
// Wine (started by scripts/test-windows.js with SYSHTTP_WINDOWS_BASE, its port).
import t from 'tap';
import http from 'node:http';
import { raw } from './raw';

const base = Number(process.env.SYSHTTP_WINDOWS_BASE);
const main = `http://127.0.0.1:${base}`;

if (!Number.isInteger(base) || base <= 0) {
  t.fail('SYSHTTP_WINDOWS_BASE is not set: run these tests with npm run test:windows');
  process.exit(1);
}


// node:http as the client (Wine's http.sys wants the field name "Host" capitalised).
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
interface Reply {
  status: number;
  message: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  text: string;
}
function request(path: string, init: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${main}${path}`, { method: init.method ?? 'GET', headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          message: res.statusMessage ?? '',
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`timeout: ${path}`)));
    req.end(init.body);
  });
}
t.teardown(() => agent.destroy());

t.test('a node:http app on HTTP.sys: setHeader and end', async (t) => {
  const r = await request('/hello');
  t.equal(r.status, 200);
  t.equal(r.text, 'hello world');
  t.equal(r.headers['content-type'], 'text/plain');
  t.equal(r.headers['content-length'], '11');
});

t.test("req: method, url, httpVersion, headers, rawHeaders and the socket's addresses", async (t) => {
  const r = await request('/request?q=1', { headers: { 'X-One': 'first', Accept: 'text/plain' } });
  const seen = JSON.parse(r.text);
  t.equal(seen.backend, 'httpsys');
  t.equal(seen.method, 'GET');
  t.equal(seen.url, '/request?q=1');
  t.equal(seen.httpVersion, '1.1');
  t.equal(seen.headers['x-one'], 'first');
  t.equal(seen.headers.accept, 'text/plain');
  t.match(seen.headers.host, /^127\.0\.0\.1:/);
  const i = seen.rawHeaders.findIndex((v: string) => v.toLowerCase() === 'x-one');
  t.ok(i >= 0 && i % 2 === 0 && seen.rawHeaders[i + 1] === 'first', 'rawHeaders has the field as a name, value pair');
  t.equal(seen.socket.remoteAddress, '127.0.0.1');
  t.equal(seen.socket.localPort, base);
});

t.test('a body read as a stream; writeHead(status, message, headers)', async (t) => {
  const r = await request('/echo', { method: 'POST', body: 'abc123', headers: { 'Content-Type': 'text/x-test' } });
  t.equal(r.status, 201);
  t.equal(r.message, 'Made');
  t.equal(r.text, 'abc123');
  t.equal(r.headers['content-type'], 'text/x-test');
  t.equal(r.headers['x-received-length'], '6');
  const big = await request('/echo', { method: 'POST', body: Buffer.alloc(50_000, 7) });
  t.equal(big.headers['x-received-length'], '50000', '50 kB arrives whole');
});

t.test('several Set-Cookie (setHeader array, appendHeader) and a repeated field from writeHead pairs', async (t) => {
  const fieldValues = async (target: string, name: string): Promise<string[]> => {
    const out = await raw(base, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${base}\r\nConnection: close\r\n\r\n`);
    t.match(out, /^HTTP\/1\.1 200 OK\r\n/, target);
    const lines = out.split('\r\n\r\n')[0].split('\r\n');
    return lines.filter((l) => l.toLowerCase().startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).trim());
  };
  t.same(await fieldValues('/cookies', 'set-cookie'), ['a=1; Path=/', 'b=2; HttpOnly', 'c=3'], 'three Set-Cookie, in order');
  t.same(await fieldValues('/pairs', 'x-multi'), ['one', 'two']);
});

t.test('write() then end(): the whole body, with statusCode set before', async (t) => {
  const r = await request('/written');
  t.equal(r.status, 202);
  t.equal(r.text, 'part 1, part 2, end');
});

t.test('keep-alive: several requests on one connection, then a 404', async (t) => {
  const out = await raw(
    base,
    `GET /hello HTTP/1.1\r\nHost: 127.0.0.1:${base}\r\n\r\n` +
      `GET /hello HTTP/1.1\r\nHost: 127.0.0.1:${base}\r\n\r\n` +
      `GET /missing HTTP/1.1\r\nHost: 127.0.0.1:${base}\r\nConnection: close\r\n\r\n`,
    1000,
  );
  t.equal(out.split('hello world').length - 1, 2, 'two answers');
  t.match(out, /HTTP\/1\.1 404 Not Found\r\n[\s\S]*not found$/);
});
