// Connections hold an input buffer only while bytes of theirs wait in it (a head or a
// body part not parsed yet); between reads the buffer goes back to a pool the backend's
// connections share. Here many connections send their requests in interleaved fragments,
// so buffers change hands between every read: each connection must still get exactly
// its own requests back (no bytes of one in another's request), on every backend.
import t from 'tap';
import { startServer, openRaw, chunked, sleep, type Ctx, type RawClient } from '../helpers/server';

const CONNECTIONS = 24;
const REQUESTS = 4;

const echo = async (ctx: Ctx) => {
  const body = ctx.request.method === 'POST' ? await ctx.request.text() : '';
  await ctx.response.end(`${ctx.request.path}|${ctx.request.headers.get('x-tag')}|${body}`);
};

// The requests of connection `c`: pipelined, with Content-Length and chunked bodies whose
// bytes name the connection, so a byte from another connection's buffer would show.
function requestsOf(c: number): { bytes: Buffer; expected: string[] } {
  const parts: Buffer[] = [];
  const expected: string[] = [];
  for (let r = 0; r < REQUESTS; r++) {
    const tag = `c${c}r${r}`;
    const body = `${tag}:`.repeat(40 + ((c * 7 + r * 13) % 60));
    const path = `/${tag}`;
    const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nX-Tag: ${tag}\r\n`;
    if (r % 2 === 0) {
      parts.push(Buffer.from(`${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`));
    } else {
      const half = Math.floor(body.length / 2);
      parts.push(Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\n`));
      parts.push(chunked([body.slice(0, half), body.slice(half)]));
    }
    expected.push(`${path}|${tag}|${body}`);
  }
  return { bytes: Buffer.concat(parts), expected };
}

t.test('interleaved fragments from many connections: each gets its own requests back', async (t) => {
  const { port } = await startServer(t, echo);
  const clients: RawClient[] = [];
  const plans = Array.from({ length: CONNECTIONS }, (_, c) => requestsOf(c));
  for (let c = 0; c < CONNECTIONS; c++) clients.push(await openRaw(t, port));
  // Round robin: each connection sends its next fragment (sizes vary, so heads and
  // bodies are cut at every kind of place), then the next connection, with pauses so
  // that fragments arrive as separate reads.
  const offsets = new Array<number>(CONNECTIONS).fill(0);
  for (let round = 0; offsets.some((o, c) => o < plans[c].bytes.length); round++) {
    for (let c = 0; c < CONNECTIONS; c++) {
      const bytes = plans[c].bytes;
      if (offsets[c] >= bytes.length) continue;
      const size = 1 + ((c * 31 + round * 17) % 97);
      await clients[c].write(bytes.subarray(offsets[c], offsets[c] + size));
      offsets[c] += size;
    }
    await sleep(2);
  }
  for (let c = 0; c < CONNECTIONS; c++) {
    const responses = await clients[c].readResponses(REQUESTS);
    t.same(
      responses.map((r) => `${r.status} ${r.body.toString()}`),
      plans[c].expected.map((e) => `200 ${e}`),
      `connection ${c}`,
    );
  }
});

t.test('a connection idle between requests still reads its next one whole', async (t) => {
  // After a response the connection holds no buffer; the next request (sent in two
  // parts, the other connections busy in between) takes one again.
  const { port } = await startServer(t, echo);
  const a = await openRaw(t, port);
  const b = await openRaw(t, port);
  for (let i = 0; i < 3; i++) {
    await a.write(`POST /a${i} HTTP/1.1\r\nHost: x\r\nX-Tag: a\r\nContent-Le`);
    await b.write(`POST /b${i} HTTP/1.1\r\nHost: x\r\nX-Tag: b\r\nContent-Length: 3\r\n\r\nbbb`);
    t.equal((await b.readResponse()).body.toString(), `/b${i}|b|bbb`);
    await sleep(5);
    await a.write('ngth: 4\r\n\r\naaaa');
    t.equal((await a.readResponse()).body.toString(), `/a${i}|a|aaaa`);
  }
});

t.test("heads with more fields than the shared field table's first size, interleaved with other connections' heads", async (t) => {
  // The backend's connections parse into one field table, grown when a head needs more:
  // a long head arriving in parts while short heads are parsed on other connections
  // must keep all its fields (the table holds nothing between parses).
  const { port } = await startServer(t, async (ctx: Ctx) => {
    let n = 0;
    for (const _ of ctx.request.headers) n++;
    await ctx.response.end(`${ctx.request.path} ${n} ${ctx.request.headers.get('x-f39')}`);
  });
  const long = await openRaw(t, port);
  const short = await openRaw(t, port);
  const fields = Array.from({ length: 40 }, (_, i) => `X-F${i}: v${i}\r\n`).join('');
  const head = `GET /long HTTP/1.1\r\nHost: x\r\n${fields}\r\n`;
  for (let i = 0; i < 2; i++) {
    await long.write(head.slice(0, 300));
    await short.write(`GET /short${i} HTTP/1.1\r\nHost: x\r\nX-F39: s\r\n\r\n`);
    t.equal((await short.readResponse()).body.toString(), `/short${i} 2 s`);
    await sleep(5);
    await long.write(head.slice(300));
    t.equal((await long.readResponse()).body.toString(), '/long 41 v39');
  }
});
