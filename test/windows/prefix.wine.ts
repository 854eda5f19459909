// URL prefixes: test/windows/server.js started with SYSHTTP_TEST_PREFIX
// "http://+:PORT/app/" (scripts/test-windows.js, second run), so the server registers
// that prefix instead of http://+:PORT/.
import t from 'tap';
import http from 'node:http';

const base = Number(process.env.SYSHTTP_WINDOWS_BASE);
const underWine = process.env.SYSHTTP_UNDER_WINE === '1';
const origin = `http://127.0.0.1:${base}`;

function get(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

t.test('the matched prefix is the pathBase, the rest is the path', async (t) => {
  const r = await get(`${origin}/app/info?q=1`);
  t.equal(r.status, 200);
  const info = JSON.parse(r.text);
  t.equal(info.pathBase, '/app');
  t.equal(info.path, '/info');
  t.equal(info.queryString, '?q=1');
  t.equal(info.rawTarget, '/app/info?q=1', 'the raw target stays as sent');
  const bare = JSON.parse((await get(`${origin}/app/hello`)).text === 'hello world' ? '{"ok":true}' : '{}');
  t.ok(bare.ok, 'routes of the app work under the prefix');
});

t.test('a path outside the prefix is not routed to the server', { skip: underWine ? "Wine's http.sys: a request outside every prefix gets no answer (seen: nothing in 5 s) instead of a 404" : false }, async (t) => {
  const r = await get(`${origin}/other/info`);
  t.equal(r.status, 404);
});
