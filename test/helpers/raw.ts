// Raw-socket tools for the integration tests: a byte-exact HTTP/1.1 response parser that
// splits pipelined responses, a small socket client that collects what the server sends,
// and polling helpers. Nothing here imports the library, so it can be checked on its own.
import net from 'node:net';
import { createHash } from 'node:crypto';

// ---------------------------------------------------------------------------------------
// Response parser
// ---------------------------------------------------------------------------------------

export interface ParsedResponse {
  version: string; // 'HTTP/1.1'
  status: number;
  reason: string; // the reason phrase as sent ('' when absent)
  headers: Record<string, string>; // lower-case names; repeated fields joined with ', '
  rawHeaders: Array<[string, string]>; // names as sent, values without surrounding OWS
  head: string; // the exact status line and field lines, through the empty line (latin1)
  body: Buffer; // decoded (chunked framing removed)
  chunked: boolean;
  chunkSizes: number[]; // sizes of the data chunks as framed (chunked only, without the last 0)
  trailers: Array<[string, string]>;
  complete: boolean; // false for a truncated response (see ParseResult.partial)
  interim: ParsedResponse[]; // 1xx responses that preceded this one
  raw: Buffer; // the exact bytes of this response (without its interim responses)
  endOffset: number; // offset just after this response in the parsed buffer
}

export interface ParseOptions {
  // Whether final response number `index` (0-based within this parse) answers a HEAD
  // request, so it has no body whatever its framing headers say.
  isHead?: (index: number) => boolean;
  // The connection has been closed: a response without Content-Length or chunked framing
  // is delimited by the close.
  eof?: boolean;
}

export interface ParseResult {
  responses: ParsedResponse[]; // complete final responses, in order
  partial: ParsedResponse | null; // a final response whose head arrived but not all its body
  pendingInterim: ParsedResponse[]; // 1xx responses not yet followed by a final one
  consumed: number; // bytes used by `responses` (interim ones of a later response excluded)
  rest: Buffer; // the bytes after `consumed`
}

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

function parseFieldLine(line: string): [string, string] {
  const i = line.indexOf(':');
  if (i <= 0) throw new Error(`response parser: bad field line ${JSON.stringify(line)}`);
  const name = line.slice(0, i);
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
    throw new Error(`response parser: bad field name ${JSON.stringify(name)}`);
  }
  return [name, line.slice(i + 1).replace(/^[ \t]+|[ \t]+$/g, '')];
}

function joinHeaders(raw: Array<[string, string]>): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [n, v] of raw) {
    const k = n.toLowerCase();
    out[k] = k in out ? `${out[k]}, ${v}` : v;
  }
  return out;
}

function isChunked(headers: Record<string, string>): boolean {
  const te = headers['transfer-encoding'];
  if (te === undefined) return false;
  const codings = te.split(',').map((s) => s.trim().toLowerCase());
  return codings[codings.length - 1] === 'chunked';
}

/**
 * Parses as many HTTP/1.x responses as `buf` holds. Throws on bytes that are not a valid
 * response (so a test fails loudly on a garbled reply) and stops at the first incomplete one.
 */
export function parseResponses(buf: Buffer, opts: ParseOptions = {}): ParseResult {
  const responses: ParsedResponse[] = [];
  let interim: ParsedResponse[] = [];
  let partial: ParsedResponse | null = null;
  let pos = 0;
  let consumed = 0;

  while (pos < buf.length) {
    const headEnd = buf.indexOf(CRLFCRLF, pos);
    if (headEnd < 0) break;
    const start = pos;
    const head = buf.subarray(pos, headEnd + 4).toString('latin1');
    const lines = head.slice(0, -4).split('\r\n');
    const m = /^(HTTP\/\d\.\d) (\d{3})(?: ([^\r\n]*))?$/.exec(lines[0]);
    if (!m) throw new Error(`response parser: bad status line ${JSON.stringify(lines[0])}`);
    const rawHeaders = lines.slice(1).map(parseFieldLine);
    const headers = joinHeaders(rawHeaders);
    const status = Number(m[2]);
    const bodyStart = headEnd + 4;
    const base = {
      version: m[1],
      status,
      reason: m[3] ?? '',
      headers,
      rawHeaders,
      head,
    };

    if (status >= 100 && status < 200 && status !== 101) {
      interim.push({
        ...base,
        body: EMPTY,
        chunked: false,
        chunkSizes: [],
        trailers: [],
        complete: true,
        interim: [],
        raw: buf.subarray(start, bodyStart),
        endOffset: bodyStart,
      });
      pos = bodyStart;
      continue;
    }

    const index = responses.length;
    const noBody =
      (opts.isHead !== undefined && opts.isHead(index)) ||
      status === 204 ||
      status === 304 ||
      status === 101;
    let body: Buffer = EMPTY;
    let end = bodyStart;
    let complete = true;
    let chunked = false;
    const chunkSizes: number[] = [];
    const trailers: Array<[string, string]> = [];

    if (noBody) {
      // nothing
    } else if (isChunked(headers)) {
      chunked = true;
      const pieces: Buffer[] = [];
      let q = bodyStart;
      complete = false;
      for (;;) {
        const lineEnd = buf.indexOf(CRLF, q);
        if (lineEnd < 0) break;
        const sizeLine = buf.subarray(q, lineEnd).toString('latin1');
        const sizeText = sizeLine.split(';')[0].replace(/[ \t]+$/, '');
        if (!/^[0-9a-fA-F]{1,15}$/.test(sizeText)) {
          throw new Error(`response parser: bad chunk size line ${JSON.stringify(sizeLine)}`);
        }
        const size = parseInt(sizeText, 16);
        const dataStart = lineEnd + 2;
        if (size === 0) {
          // trailer section, then the empty line
          let r = dataStart;
          let done = false;
          for (;;) {
            const le = buf.indexOf(CRLF, r);
            if (le < 0) break;
            if (le === r) {
              r += 2;
              done = true;
              break;
            }
            trailers.push(parseFieldLine(buf.subarray(r, le).toString('latin1')));
            r = le + 2;
          }
          if (done) {
            complete = true;
            end = r;
          }
          break;
        }
        if (dataStart + size + 2 > buf.length) {
          pieces.push(buf.subarray(dataStart, Math.min(buf.length, dataStart + size)));
          break;
        }
        if (buf[dataStart + size] !== 0x0d || buf[dataStart + size + 1] !== 0x0a) {
          throw new Error('response parser: chunk data not followed by CRLF');
        }
        pieces.push(buf.subarray(dataStart, dataStart + size));
        chunkSizes.push(size);
        q = dataStart + size + 2;
      }
      body = Buffer.concat(pieces);
    } else if (headers['content-length'] !== undefined) {
      const cl = headers['content-length'];
      if (!/^\d+$/.test(cl)) throw new Error(`response parser: bad Content-Length ${JSON.stringify(cl)}`);
      const n = Number(cl);
      if (buf.length - bodyStart >= n) {
        body = buf.subarray(bodyStart, bodyStart + n);
        end = bodyStart + n;
      } else {
        body = buf.subarray(bodyStart);
        complete = false;
      }
    } else {
      // delimited by the close of the connection
      body = buf.subarray(bodyStart);
      end = buf.length;
      complete = opts.eof === true;
    }

    const parsed: ParsedResponse = {
      ...base,
      body,
      chunked,
      chunkSizes,
      trailers,
      complete,
      interim,
      raw: buf.subarray(start, complete ? end : buf.length),
      endOffset: complete ? end : buf.length,
    };
    if (!complete) {
      partial = parsed;
      interim = [];
      break;
    }
    responses.push(parsed);
    interim = [];
    pos = end;
    consumed = end;
  }

  return { responses, partial, pendingInterim: interim, consumed, rest: buf.subarray(consumed) };
}

/** Every field line named `name` (case-insensitive), values in order. */
export function headerValues(res: ParsedResponse, name: string): string[] {
  const k = name.toLowerCase();
  return res.rawHeaders.filter(([n]) => n.toLowerCase() === k).map(([, v]) => v);
}

/** True when a Connection field lists `token` (case-insensitive). */
export function hasConnectionToken(res: ParsedResponse, token: string): boolean {
  const v = res.headers['connection'];
  if (v === undefined) return false;
  return v
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .includes(token.toLowerCase());
}

const HTTP_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** An IMF-fixdate (RFC 9110 §5.6.7) within `slackMs` of now. */
export function isRecentHttpDate(value: string | undefined, slackMs = 120_000): boolean {
  if (value === undefined || !HTTP_DATE.test(value)) return false;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && Math.abs(ms - Date.now()) <= slackMs;
}

// ---------------------------------------------------------------------------------------
// Request building
// ---------------------------------------------------------------------------------------

export interface RequestSpec {
  method?: string;
  target?: string;
  version?: string;
  headers?: Array<[string, string | number]>; // Host is added unless given or `noHost`
  noHost?: boolean;
  body?: string | Buffer;
}

/** Serialises one request. Strings are latin1 so that any byte can be written as \xNN. */
export function buildRequest(spec: RequestSpec = {}): Buffer {
  const method = spec.method ?? 'GET';
  const target = spec.target ?? '/';
  const version = spec.version ?? 'HTTP/1.1';
  const headers = [...(spec.headers ?? [])];
  if (!spec.noHost && !headers.some(([n]) => n.toLowerCase() === 'host')) {
    headers.unshift(['Host', 'localhost']);
  }
  let head = `${method} ${target} ${version}\r\n`;
  for (const [n, v] of headers) head += `${n}: ${v}\r\n`;
  head += '\r\n';
  const body = spec.body === undefined ? EMPTY : toBytes(spec.body);
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** Encodes strings as latin1 (one byte per char), passes Buffers through. */
export function toBytes(data: string | Buffer | Uint8Array): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'latin1');
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/** Chunked framing of the given pieces, with the last chunk and an optional trailer block. */
export function chunked(pieces: Array<string | Buffer>, trailer = ''): Buffer {
  const parts: Buffer[] = [];
  for (const p of pieces) {
    const b = toBytes(p);
    if (b.length === 0) continue;
    parts.push(Buffer.from(`${b.length.toString(16)}\r\n`, 'latin1'), b, CRLF);
  }
  parts.push(Buffer.from(`0\r\n${trailer}\r\n`, 'latin1'));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------
// Raw client
// ---------------------------------------------------------------------------------------

export class RawClient {
  readonly socket: net.Socket;
  closed = false; // the socket has closed (server FIN/RST, or destroy())
  ended = false; // the server sent FIN
  reset = false; // ECONNRESET / EPIPE seen
  error: Error | null = null;
  private chunks: Buffer[] = [];
  private cache: Buffer | null = EMPTY;
  private offset = 0; // bytes already returned by readResponses()
  private listeners = new Set<() => void>();

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.cache = null;
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.error = err;
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') this.reset = true;
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new RawClient(socket));
      });
    });
  }

  /** Everything received so far. */
  get data(): Buffer {
    if (this.cache === null) {
      this.cache = Buffer.concat(this.chunks);
      this.chunks = [this.cache];
    }
    return this.cache;
  }

  /** Bytes received but not yet returned by readResponses(). */
  get unread(): Buffer {
    return this.data.subarray(this.offset);
  }

  get localPort(): number {
    return this.socket.localPort ?? -1;
  }

  /** Writes bytes (strings as latin1); resolves once handed to the kernel or on error. */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.write(toBytes(data), () => resolve());
    });
  }

  /**
   * Writes `data` in pieces of `size` bytes with `gapMs` between them. Stops early once the
   * server has answered or closed (so that a reset cannot swallow its answer).
   */
  async writeSlowly(data: string | Buffer, size: number, gapMs: number): Promise<void> {
    const bytes = toBytes(data);
    const before = this.data.length;
    for (let i = 0; i < bytes.length; i += size) {
      if (this.socket.destroyed || this.ended || this.closed) return;
      if (this.data.length > before) return;
      await this.write(bytes.subarray(i, i + size));
      if (gapMs > 0) await sleep(gapMs);
    }
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /**
   * Resolves when `pred` holds (checked now and whenever something happens on the socket).
   * Rejects after `timeoutMs`, or as soon as the socket closes with `pred` still false
   * (unless `allowClose`).
   */
  until(pred: () => boolean, timeoutMs: number, what: string, allowClose = false): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        let ok: boolean;
        try {
          ok = pred();
        } catch (err) {
          done();
          reject(err);
          return;
        }
        if (ok) {
          done();
          resolve();
        } else if (this.closed && !allowClose) {
          done();
          reject(new Error(`connection closed while waiting for ${what}; received ${this.describe()}`));
        }
      };
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${this.describe()}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  /** Waits until the received bytes contain `text`; returns its offset in `data`. */
  async waitForText(text: string, timeoutMs = 10_000): Promise<number> {
    const needle = Buffer.from(text, 'latin1');
    await this.until(() => this.data.indexOf(needle) >= 0, timeoutMs, JSON.stringify(text));
    return this.data.indexOf(needle);
  }

  /**
   * Waits for `n` complete final responses after those already read, returns them and marks
   * them read. `isHead(i)` is relative to this call.
   */
  async readResponses(
    n: number,
    opts: { timeoutMs?: number; isHead?: (index: number) => boolean } = {},
  ): Promise<ParsedResponse[]> {
    const parse = () => parseResponses(this.unread, { isHead: opts.isHead, eof: this.closed });
    await this.until(
      () => this.closed || parse().responses.length >= n,
      opts.timeoutMs ?? 10_000,
      `${n} response(s)`,
      true,
    );
    const result = parse();
    if (result.responses.length < n) {
      throw new Error(
        `connection closed after ${result.responses.length} of ${n} response(s); received ${this.describe()}`,
      );
    }
    const got = result.responses.slice(0, n);
    this.offset += got[n - 1].endOffset;
    return got;
  }

  async readResponse(opts: { timeoutMs?: number; isHead?: boolean } = {}): Promise<ParsedResponse> {
    const [r] = await this.readResponses(1, {
      timeoutMs: opts.timeoutMs,
      isHead: opts.isHead ? () => true : undefined,
    });
    return r;
  }

  /** Resolves true once the socket is closed, false if it is still open after `timeoutMs`. */
  async waitClose(timeoutMs = 10_000): Promise<boolean> {
    try {
      await this.until(() => this.closed, timeoutMs, 'close', true);
      return true;
    } catch {
      return false;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  describe(): string {
    const d = this.data;
    const shown = d.subarray(0, 600).toString('latin1');
    return `${d.length} byte(s)${d.length ? `: ${JSON.stringify(shown)}${d.length > 600 ? '…' : ''}` : ''}`;
  }
}

export interface RawResult {
  data: Buffer; // everything the server sent
  closed: boolean; // the server closed the connection (FIN or RST) before the timeout
  reset: boolean; // the close was a reset (ECONNRESET / EPIPE)
  parsed: ParseResult; // parseResponses(data, { eof: closed, isHead })
}

export interface RawRequestOptions {
  host?: string;
  timeoutMs?: number; // default 5 s
  // Resolve as soon as this many complete final responses arrived, without waiting for the
  // close (the socket is then destroyed by us and `closed` says whether the server had
  // already closed it).
  responses?: number;
  isHead?: (index: number) => boolean;
}

/**
 * Connects, writes `bytes` in one write, and collects everything the server sends until it
 * closes the connection (or until `responses` responses arrived, or the timeout).
 */
export async function rawRequest(
  port: number,
  bytes: string | Buffer,
  opts: RawRequestOptions = {},
): Promise<RawResult> {
  const client = await RawClient.connect(port, opts.host ?? '127.0.0.1');
  try {
    void client.write(bytes);
    const want = opts.responses;
    await client
      .until(
        () =>
          client.closed ||
          (want !== undefined &&
            parseResponses(client.data, { isHead: opts.isHead, eof: false }).responses.length >= want),
        opts.timeoutMs ?? 5_000,
        'the server',
        true,
      )
      .then(
        () => undefined,
        () => undefined,
      );
    // 'close' follows 'end'/'error' on the same tick or the next: give it that chance.
    if (!client.closed && (client.ended || client.error)) await client.waitClose(1000);
    const data = client.data;
    return {
      data,
      closed: client.closed,
      reset: client.reset,
      parsed: parseResponses(data, { isHead: opts.isHead, eof: client.closed }),
    };
  } finally {
    client.destroy();
  }
}

/** 'refused' when nothing listens on host:port, 'open' when a TCP connection was accepted. */
export function tryConnect(port: number, host = '127.0.0.1'): Promise<'refused' | 'open' | string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      s.destroy();
      resolve(err.code === 'ECONNREFUSED' ? 'refused' : `error: ${err.code ?? err.message}`);
    });
  });
}

// ---------------------------------------------------------------------------------------
// Misc
// ---------------------------------------------------------------------------------------

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every `intervalMs` until it is true; rejects after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  message = 'condition',
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`waitFor: ${message} not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Resolves true on 'drain', false when none came within `timeoutMs` (or the socket closed). */
export function waitDrain(socket: net.Socket, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (v: boolean) => {
      clearTimeout(timer);
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      resolve(v);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Chunk number `i` of a deterministic stream: `base` with the index stamped at both ends, so
 * reordered, lost or repeated chunks change the hash. Returns a fresh Buffer.
 */
export function makeChunk(base: Buffer, i: number): Buffer {
  const b = Buffer.from(base);
  b.writeUInt32BE(i >>> 0, 0);
  b.writeUInt32BE((i ^ 0xa5a5a5a5) >>> 0, b.length - 4);
  return b;
}

/** sha256 of makeChunk(base, 0..count-1) concatenated. */
export function expectedStreamHash(base: Buffer, count: number): string {
  const h = createHash('sha256');
  for (let i = 0; i < count; i++) h.update(makeChunk(base, i));
  return h.digest('hex');
}
