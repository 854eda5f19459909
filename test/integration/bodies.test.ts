// Request and response bodies: Content-Length and chunked both ways, large streams,
// backpressure in both directions, Expect: 100-continue, curl uploads.
import t from 'tap';
import { request } from 'undici';
import { Readable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startServer,
  openRaw,
  rawRequest,
  buildRequest,
  chunked,
  parseResponses,
  hasConnectionToken,
  hasCurl,
  curl,
  waitFor,
  waitDrain,
  sleep,
  sha256,
  makeChunk,
  expectedStreamHash,
  type Ctx,
} from '../helpers/server';

const MiB = 1024 * 1024;

/** Handler: reads the whole body as a stream and reports what it saw. */
const digestHandler = async (ctx: Ctx) => {
  const h = createHash('sha256');
  let n = 0;
  for await (const chunk of ctx.request.body) {
    h.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  await ctx.response.end(
    JSON.stringify({
      n,
      sha: h.digest('hex'),
      contentLength: ctx.request.contentLength === undefined ? 'undefined' : ctx.request.contentLength,
      te: ctx.request.headers.get('transfer-encoding') ?? null,
      expect: ctx.request.headers.get('expect') ?? null,
    }),
  );
};

t.test('chunked upload (raw): extensions, upper-case hex, trailers; framing ends right', async (t) => {
  const { port } = await startServer(t, digestHandler);
  const body =
    '5;name=value\r\nhello\r\n' + 'A\r\n0123456789\r\n' + '1;x\r\n!\r\n' + '0\r\nX-Trailer: t\r\n\r\n';
  const c = await openRaw(t, port);
  await c.write(
    Buffer.concat([
      buildRequest({ method: 'POST', target: '/up', headers: [['Transfer-Encoding', 'chunked']], body }),
      buildRequest({ method: 'POST', target: '/next', headers: [['Content-Length', 3]], body: 'abc' }),
    ]),
  );
  const [r1, r2] = await c.readResponses(2);
  t.equal(r1.status, 200);
  const j1 = JSON.parse(r1.body.toString());
  t.equal(j1.n, 16);
  t.equal(j1.sha, sha256('hello0123456789!'));
  t.equal(j1.contentLength, 'undefined', 'chunked request → contentLength undefined');
  t.equal(j1.te, 'chunked');
  const j2 = JSON.parse(r2.body.toString());
  t.equal(j2.n, 3, 'the request after the chunked one is framed correctly');
  t.equal(j2.sha, sha256('abc'));
  t.equal(j2.contentLength, 3);
});

t.test('request split into 1-byte writes (head and chunked body) is parsed the same', async (t) => {
  const { port } = await startServer(t, digestHandler, { limits: { minRequestBodyDataRate: null } });
  const c = await openRaw(t, port);
  const req = buildRequest({
    method: 'POST',
    target: '/slowly',
    headers: [['Transfer-Encoding', 'chunked'], ['X-Some', 'value']],
    body: chunked(['split ', 'across ', 'many writes'], 'X-T: 1\r\n'),
  });
  await c.writeSlowly(req, 1, 1);
  const r = await c.readResponse({ timeoutMs: 30_000 });
  t.equal(r.status, 200);
  const j = JSON.parse(r.body.toString());
  t.equal(j.sha, sha256('split across many writes'));
});

t.test('chunked upload via fetch with a ReadableStream body (duplex: half)', async (t) => {
  const { url } = await startServer(t, digestHandler);
  const pieces = ['alpha-', 'beta-', 'gamma-', 'x'.repeat(100_000)];
  const queue = [...pieces];
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = queue.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(next));
    },
  });
  const res = await fetch(`${url}/fetch-up`, {
    method: 'POST',
    body: stream,
    duplex: 'half',
  } as RequestInit);
  t.equal(res.status, 200);
  const j = (await res.json()) as Record<string, unknown>;
  t.equal(j.te, 'chunked', 'fetch sent the stream chunked');
  t.equal(j.contentLength, 'undefined');
  t.equal(j.n, pieces.join('').length);
  t.equal(j.sha, sha256(pieces.join('')));
});

t.test('chunked download: several write() calls without Content-Length', async (t) => {
  const { port, url } = await startServer(t, async (ctx: Ctx) => {
    await ctx.response.write('alpha ');
    await ctx.response.write(Buffer.from('beta '));
    await ctx.response.write(new Uint8Array([0x67, 0x61, 0x6d, 0x6d, 0x61])); // 'gamma'
    await ctx.response.end(' end');
  });
  const c = await openRaw(t, port);
  await c.write(Buffer.concat([buildRequest(), buildRequest()]));
  const [r, again] = await c.readResponses(2);
  t.equal(r.status, 200);
  t.equal(r.headers['transfer-encoding'], 'chunked');
  t.equal(r.headers['content-length'], undefined);
  t.ok(r.chunked && r.complete, 'valid chunked framing with a last chunk');
  t.ok(r.chunkSizes.every((s) => s > 0), 'no empty chunk before the last one');
  t.equal(r.body.toString(), 'alpha beta gamma end');
  t.equal(again.body.toString(), 'alpha beta gamma end', 'keep-alive survives a chunked response');

  const u = await request(url);
  t.equal(u.headers['transfer-encoding'], 'chunked');
  t.equal(await u.body.text(), 'alpha beta gamma end');
});

t.test('Content-Length set by the handler + several writes → no chunking', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    ctx.response.headers.set('content-length', 10);
    await ctx.response.write('01234');
    await ctx.response.write('567');
    await ctx.response.end('89');
  });
  const r = await rawRequest(port, buildRequest(), { responses: 1 });
  const res = r.parsed.responses[0];
  t.equal(res.headers['content-length'], '10');
  t.equal(res.headers['transfer-encoding'], undefined);
  t.notOk(res.chunked);
  t.equal(res.body.toString(), '0123456789');
});

t.test('unread request bodies are skipped: the next pipelined request is framed right', async (t) => {
  const paths: string[] = [];
  const { port } = await startServer(t, async (ctx: Ctx) => {
    paths.push(ctx.request.path);
    await ctx.response.end(`seen ${ctx.request.path}`);
  });
  const c = await openRaw(t, port);
  await c.write(
    Buffer.concat([
      buildRequest({
        method: 'POST',
        target: '/cl',
        headers: [['Content-Length', 33]],
        body: 'GET /smuggled HTTP/1.1\r\nHost: a\r\n',
      }),
      buildRequest({
        method: 'POST',
        target: '/te',
        headers: [['Transfer-Encoding', 'chunked']],
        body: chunked(['GET /smuggled2 HTTP/1.1\r\n\r\n']),
      }),
      buildRequest({ target: '/last' }),
    ]),
  );
  const rs = await c.readResponses(3);
  t.same(rs.map((r) => r.body.toString()), ['seen /cl', 'seen /te', 'seen /last']);
  t.same(paths, ['/cl', '/te', '/last'], 'body bytes were never parsed as requests');
});

t.test('text(), json(), buffer() and Content-Length: 0', async (t) => {
  const { url } = await startServer(t, async (ctx: Ctx) => {
    switch (ctx.request.path) {
      case '/json': {
        let v: unknown;
        try {
          v = await ctx.request.json();
        } catch {
          ctx.response.status = 400;
          await ctx.response.end('bad json');
          return;
        }
        await ctx.response.end(JSON.stringify({ got: v }));
        return;
      }
      case '/buffer': {
        const b: Buffer = await ctx.request.buffer();
        await ctx.response.end(JSON.stringify({ isBuffer: Buffer.isBuffer(b), hex: b.toString('hex') }));
        return;
      }
      default: {
        const s: string = await ctx.request.text();
        await ctx.response.end(JSON.stringify({ text: s, cl: ctx.request.contentLength }));
      }
    }
  });
  const j = await request(`${url}/json`, { method: 'POST', body: '{"a":[1,2,{"b":"ü"}]}' });
  t.same(await j.body.json(), { got: { a: [1, 2, { b: 'ü' }] } });
  const bad = await request(`${url}/json`, { method: 'POST', body: '{nope' });
  t.equal(bad.statusCode, 400, 'json() rejects on invalid JSON');
  await bad.body.dump();
  const b = await request(`${url}/buffer`, { method: 'POST', body: Buffer.from([0, 1, 0xfe, 0xff]) });
  t.same(await b.body.json(), { isBuffer: true, hex: '0001feff' });
  const txt = await request(`${url}/text`, { method: 'POST', body: 'grüße' });
  t.same(await txt.body.json(), { text: 'grüße', cl: Buffer.byteLength('grüße') });
  const empty = await request(`${url}/text`, { method: 'POST', body: '' });
  t.same(await empty.body.json(), { text: '', cl: 0 });
});

t.test('1 MiB body echoed back (streamed, and buffered)', async (t) => {
  const { url } = await startServer(t, async (ctx: Ctx) => {
    if (ctx.request.path === '/stream') {
      ctx.response.headers.set('content-length', ctx.request.contentLength);
      for await (const chunk of ctx.request.body) await ctx.response.write(chunk);
      await ctx.response.end();
    } else {
      await ctx.response.end(await ctx.request.buffer());
    }
  });
  const payload = randomBytes(MiB);
  for (const p of ['/stream', '/buffered']) {
    const res = await request(`${url}${p}`, { method: 'POST', body: payload });
    t.equal(res.statusCode, 200);
    t.equal(res.headers['content-length'], String(MiB), `${p}: Content-Length`);
    const got = Buffer.from(await res.body.arrayBuffer());
    t.equal(got.length, MiB);
    t.ok(got.equals(payload), `${p}: same bytes back`);
  }
});

t.test('50 MiB streamed up (Content-Length), hashed on the server', async (t) => {
  const { url } = await startServer(t, digestHandler, {
    limits: { maxRequestBodySize: null, minRequestBodyDataRate: null },
  });
  const base = randomBytes(64 * 1024);
  const count = 800; // 800 × 64 KiB = 50 MiB
  const h = createHash('sha256');
  async function* gen() {
    for (let i = 0; i < count; i++) {
      const c = makeChunk(base, i);
      h.update(c);
      yield c;
    }
  }
  const res = await request(`${url}/big`, {
    method: 'POST',
    body: Readable.from(gen()),
    headers: { 'content-length': String(count * base.length) },
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  t.equal(res.statusCode, 200);
  const j = (await res.body.json()) as Record<string, unknown>;
  t.equal(j.n, 50 * MiB);
  t.equal(j.contentLength, 50 * MiB);
  t.equal(j.sha, h.digest('hex'));
});

t.test('50 MiB streamed down (chunked), hashed on the client', async (t) => {
  const base = randomBytes(64 * 1024);
  const count = 800;
  const { url } = await startServer(t, async (ctx: Ctx) => {
    for (let i = 0; i < count; i++) await ctx.response.write(makeChunk(base, i));
    await ctx.response.end();
  });
  const res = await request(`${url}/big`, { headersTimeout: 60_000, bodyTimeout: 60_000 });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['transfer-encoding'], 'chunked');
  const h = createHash('sha256');
  let n = 0;
  for await (const chunk of res.body) {
    h.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  t.equal(n, 50 * MiB);
  t.equal(h.digest('hex'), expectedStreamHash(base, count));
});

t.test('upload backpressure: an unread body stalls the client instead of being buffered', async (t) => {
  const TOTAL = 128 * MiB;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let entered = false;
  const { port } = await startServer(
    t,
    async (ctx: Ctx) => {
      entered = true;
      await gate;
      let n = 0;
      for await (const chunk of ctx.request.body) n += (chunk as Buffer).length;
      await ctx.response.end(String(n));
    },
    { limits: { maxRequestBodySize: null, minRequestBodyDataRate: null } },
  );
  const c = await openRaw(t, port);
  await c.write(buildRequest({ method: 'POST', target: '/sink', headers: [['Content-Length', TOTAL]] }));
  await waitFor(() => entered, 10_000, 'handler entered');

  const chunk = Buffer.alloc(MiB, 0x61);
  let written = 0;
  let stalled = false;
  while (written < TOTAL) {
    const ok = c.socket.write(chunk);
    written += chunk.length;
    if (!ok && !(await waitDrain(c.socket, 2000))) {
      stalled = true;
      break;
    }
  }
  t.ok(stalled, `client writes stalled (after ${written / MiB} MiB)`);
  t.ok(written <= TOTAL / 2, `at most ${TOTAL / 2 / MiB} MiB in flight while nobody reads (${written / MiB} MiB)`);
  t.notOk(c.closed, 'connection still open');

  release();
  while (written < TOTAL) {
    const ok = c.socket.write(chunk);
    written += chunk.length;
    if (!ok) t.ok(await waitDrain(c.socket, 30_000), 'drains once the handler reads');
  }
  const r = await c.readResponse({ timeoutMs: 60_000 });
  t.equal(r.status, 200);
  t.equal(r.body.toString(), String(TOTAL), 'every byte reached the handler');
});

t.test('response backpressure: write() waits while the client does not read', async (t) => {
  const TOTAL = 64 * MiB;
  const CH = 256 * 1024;
  let accepted = 0;
  let done = false;
  const { port } = await startServer(t, async (ctx: Ctx) => {
    ctx.response.headers.set('content-length', TOTAL);
    const chunk = Buffer.alloc(CH, 0x62);
    for (let i = 0; i < TOTAL / CH; i++) {
      await ctx.response.write(chunk);
      accepted += CH;
    }
    await ctx.response.end();
    done = true;
  });
  // A socket with no 'data' listener reads at most its highWaterMark, then stops.
  const sock = net.connect({ port, host: '127.0.0.1' });
  t.teardown(() => sock.destroy());
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  sock.write(buildRequest());

  // wait until `accepted` stops moving for 1.5 s
  let last = -1;
  let stableSince = Date.now();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !done) {
    if (accepted !== last) {
      last = accepted;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > 1500) break;
    await sleep(50);
  }
  t.notOk(done, 'handler is still writing');
  t.ok(accepted > 0, 'some writes were accepted');
  t.ok(accepted <= TOTAL / 2, `writes stop being accepted (${accepted / MiB} MiB accepted of ${TOTAL / MiB})`);

  // now read everything
  let headLen = -1;
  let received = 0;
  let headBuf = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${received} bytes`)), 60_000);
    sock.on('data', (d: Buffer) => {
      received += d.length;
      if (headLen < 0) {
        headBuf = Buffer.concat([headBuf, d]);
        const i = headBuf.indexOf('\r\n\r\n');
        if (i >= 0) headLen = i + 4;
      }
      if (headLen >= 0 && received >= headLen + TOTAL) {
        clearTimeout(timer);
        resolve();
      }
    });
    sock.on('error', reject);
  });
  t.match(headBuf.subarray(0, 16).toString('latin1'), /^HTTP\/1\.1 200 /);
  t.equal(received, headLen + TOTAL, 'exactly the announced body');
  await waitFor(() => done, 10_000, 'handler finished');
});

t.test('Expect: 100-continue → 100 only once the handler reads, then the body', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let entered = false;
  const { port } = await startServer(t, async (ctx: Ctx) => {
    entered = true;
    await gate;
    const body = await ctx.request.text();
    await ctx.response.end(`got ${body}`);
  });
  const c = await openRaw(t, port);
  await c.write(
    buildRequest({
      method: 'POST',
      target: '/expect',
      headers: [['Content-Length', 5], ['Expect', '100-continue']],
    }),
  );
  await waitFor(() => entered, 10_000, 'handler entered');
  await sleep(200);
  t.equal(c.data.length, 0, 'nothing sent before the handler reads the body');
  release();
  await c.waitForText('\r\n\r\n');
  t.match(c.data.toString('latin1'), /^HTTP\/1\.1 100 Continue\r\n/, 'interim 100 Continue');
  const interim = parseResponses(c.data).pendingInterim;
  t.equal(interim.length, 1);
  t.equal(interim[0]?.status, 100);
  await c.write('hello');
  const r = await c.readResponse();
  t.equal(r.status, 200);
  t.equal(r.interim.length, 1, 'exactly one 100 Continue');
  t.equal(r.body.toString(), 'got hello');
});

t.test('Expect: 100-continue, handler answers without reading → no 100', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    await ctx.response.end(`no body needed for ${ctx.request.path}`);
  });
  const c = await openRaw(t, port);
  await c.write(
    buildRequest({
      method: 'POST',
      target: '/skip',
      headers: [['Content-Length', 5], ['Expect', '100-continue']],
    }),
  );
  const r = await c.readResponse();
  t.equal(r.status, 200);
  t.equal(r.interim.length, 0, 'no interim response');
  t.equal(r.body.toString(), 'no body needed for /skip');
  if (hasConnectionToken(r, 'close')) {
    t.ok(await c.waitClose(5000), 'server announced close and closes');
  } else {
    // RFC 9110 §10.1.1: the server keeps reading the content, so the client may send it
    await c.write(Buffer.concat([Buffer.from('hello'), buildRequest({ target: '/after' })]));
    const r2 = await c.readResponse();
    t.equal(r2.status, 200);
    t.equal(r2.body.toString(), 'no body needed for /after', 'body was discarded, next request served');
  }
  t.equal(c.data.indexOf('100 Continue'), -1, 'no 100 Continue at any point');
});

t.test('curl POST --data-binary @file', { skip: hasCurl ? false : 'curl is not on PATH' }, async (t) => {
  const { url } = await startServer(t, digestHandler);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syshttp-curl-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'payload.bin');
  const payload = randomBytes(3 * MiB);
  fs.writeFileSync(file, payload);
  const want = sha256(payload);
  const common = ['-sS', '--http1.1', '-i', '--max-time', '20', '--data-binary', `@${file}`];

  await t.test('with Expect: 100-continue (server must send 100)', async (t) => {
    // curl would wait 30 s for the 100 before sending anyway; --max-time 20 turns a missing
    // 100 Continue into a failure.
    const r = await curl([...common, '--expect100-timeout', '30', '-H', 'Expect: 100-continue', `${url}/c1`]);
    t.equal(r.code, 0, `curl exit status (stderr: ${r.stderr})`);
    const [res] = parseResponses(r.stdout, { eof: true }).responses;
    t.equal(res?.interim[0]?.status, 100, 'curl saw 100 Continue');
    t.equal(res?.status, 200);
    const j = JSON.parse(res.body.toString());
    t.equal(j.expect, '100-continue');
    t.equal(j.n, payload.length);
    t.equal(j.sha, want);
  });

  await t.test("with -H 'Expect:' (no Expect header)", async (t) => {
    const r = await curl([...common, '-H', 'Expect:', `${url}/c2`]);
    t.equal(r.code, 0, `curl exit status (stderr: ${r.stderr})`);
    const [res] = parseResponses(r.stdout, { eof: true }).responses;
    t.equal(res?.status, 200);
    t.equal(res?.interim.length, 0, 'no 100 Continue without Expect');
    const j = JSON.parse(res.body.toString());
    t.equal(j.expect, null);
    t.equal(j.contentLength, payload.length);
    t.equal(j.sha, want);
  });

  await t.test('chunked (-H Transfer-Encoding: chunked)', async (t) => {
    const r = await curl([...common, '-H', 'Transfer-Encoding: chunked', `${url}/c3`]);
    t.equal(r.code, 0, `curl exit status (stderr: ${r.stderr})`);
    const [res] = parseResponses(r.stdout, { eof: true }).responses;
    t.equal(res?.status, 200);
    const j = JSON.parse(res.body.toString());
    t.equal(j.te, 'chunked');
    t.equal(j.contentLength, 'undefined');
    t.equal(j.sha, want);
  });
});

t.test('string bodies are sent as UTF-8, whatever their characters (end and write)', async (t) => {
  const texts = ['plain ascii', 'héllo wörld', '€ and 😀 and 中文', 'lone surrogate: \ud800!', 'x'.repeat(300_000) + '€'];
  const { url } = await startServer(t, async (ctx: Ctx) => {
    const i = Number(ctx.request.path.slice(1));
    if (ctx.request.queryString === '?write') {
      await ctx.response.write(texts[i]);
      await ctx.response.end();
    } else {
      await ctx.response.end(texts[i]);
    }
  });
  for (let i = 0; i < texts.length; i++) {
    for (const mode of ['end', 'write']) {
      const r = await request(`${url}/${i}${mode === 'write' ? '?write' : ''}`);
      const body = Buffer.from(await r.body.arrayBuffer());
      t.ok(body.equals(Buffer.from(texts[i], 'utf8')), `text ${i} (${mode}): the UTF-8 bytes`);
      if (mode === 'end') t.equal(Number(r.headers['content-length']), Buffer.byteLength(texts[i]), `text ${i}: Content-Length counts bytes`);
    }
  }
});

t.test('large Buffer bodies (sent without a copy) arrive intact, also pipelined and with HEAD', async (t) => {
  const big = randomBytes(3 * 1024 * 1024 + 17);
  const medium = randomBytes(70 * 1024);
  const { url, port } = await startServer(t, async (ctx: Ctx) => {
    const body = ctx.request.path === '/medium' ? medium : big;
    if (ctx.request.queryString === '?chunked') {
      await ctx.response.write(body.subarray(0, 10));
      await ctx.response.end(body.subarray(10));
    } else {
      await ctx.response.end(body);
    }
  });
  for (const q of ['', '?chunked']) {
    const r = await request(`${url}/big${q}`);
    const got = Buffer.from(await r.body.arrayBuffer());
    t.ok(got.equals(big), `3 MiB body intact${q}`);
  }
  const head = await request(`${url}/big`, { method: 'HEAD' });
  await head.body.dump();
  t.equal(head.headers['content-length'], String(big.length), 'HEAD: the length, no body');
  // Pipelined: the second response waits behind the first, holding its lent body.
  const sock = net.connect(port, '127.0.0.1');
  t.teardown(() => sock.destroy());
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  sock.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /medium HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await new Promise((resolve) => sock.on('end', resolve));
  const all = Buffer.concat(chunks);
  const first = all.indexOf('\r\n\r\n') + 4;
  t.ok(all.subarray(first, first + big.length).equals(big), 'first pipelined body intact');
  const secondHead = all.indexOf('\r\n\r\n', first + big.length) + 4;
  t.ok(all.subarray(secondHead).equals(medium), 'second pipelined body intact');
});

t.test("a request sent whole with the client's end (FIN) is still answered: its body is read from what came before the end", async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    const body = await ctx.request.text();
    await ctx.response.end(`got ${body}`);
  });
  const big = 'x'.repeat(150_000);  // more than the connection's input buffer
  for (const [label, headers, body, expected] of [
    ['Content-Length', [['Content-Length', 5]], 'hello', 'got hello'],
    ['chunked', [['Transfer-Encoding', 'chunked']], chunked(['hel', 'lo']), 'got hello'],
    ['150 kB', [['Content-Length', big.length]], big, `got ${big}`],
  ] as const) {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    socket.end(buildRequest({ method: 'POST', headers: headers as unknown as [string, number | string][], body }));
    await new Promise((resolve) => socket.on('close', resolve));
    const [r] = parseResponses(Buffer.concat(chunks), { eof: true }).responses;
    t.equal(r?.status, 200, `${label}: answered`);
    t.ok(r?.body.toString() === expected, `${label}: the whole body`);
  }
});
