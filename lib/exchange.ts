// One request/response exchange: the state every feature of a request is a view over.
// Request data stays in the batch buffer until read; the response is sent with one
// native call in the common case (head + body + end together).
import { STATUS_CODES } from 'node:http';
import { SyshttpError } from './errors';
import { type FieldLines, ResponseHeaders } from './headers';
import { SendResult, type NativeConstants, type NativeServerHandle } from './native';
import { RequestBody } from './request-body';
import { UpgradedStream } from './upgraded-stream';
import { decodeEndpoints } from './features/connection';

/** @internal Node's Buffer, with its latin1Slice (not in its typings). */
export type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** A Connection field value with the `close` option. */
const CLOSE = /(?:^|,)\s*close\s*(?:,|$)/i;

/** What the native send is told of the app's fields: a Date, a Connection and its close. */
function headFlags(C: NativeConstants, hasDate: boolean, connection: string | undefined): number {
  let flags = hasDate ? C.SEND_HAS_DATE : 0;
  if (connection !== undefined) {
    flags |= C.SEND_HAS_CONNECTION;
    if (CLOSE.test(connection)) flags |= C.SEND_CLOSE;
  }
  return flags;
}

/** What an exchange needs from its server. */
export interface ExchangeHost {
  readonly native: NativeServerHandle;
  readonly constants: NativeConstants;
  readonly maxRequestBodySize: number | null;
  release(exchange: Exchange): void;
  /** An error the app cannot catch any more (an onCompleted callback's). */
  reportError(err: unknown): void;
  /** The connection left HTTP: its raw records go to this stream from now on. */
  adoptUpgraded(stream: UpgradedStream): void;
  /** The backend sends an app's own Transfer-Encoding line (the Linux backends; HTTP.sys frames bodies itself). */
  readonly appTransferEncoding?: boolean;
  /** The backend has a kernel response cache (HTTP.sys). */
  readonly kernelResponseCache?: boolean;
  /** HTTP.sys URL prefixes' paths without the trailing "/" (windows.urlPrefixes), or empty. */
  readonly pathBases: readonly string[];
}

// Record layout after [type, connection, seq] (native/bridge/records.h).
const FLAGS = 3;
const METHOD_OFF = 4;
const METHOD_LEN = 5;
const TARGET_OFF = 6;
const TARGET_LEN = 7;
const CL_LO = 8;
const CL_HI = 9;
const ADDRESS_OFF = 10;
const FIELD_COUNT = 11;
export const REQUEST_FIXED_WORDS = 12;

const RESOLVED = Promise.resolve();
const statusLines = new Map<number, string>();

/** reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ) (RFC 9112 §4), empty allowed. */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

function statusLine(status: number, reason: string | undefined): string {
  if (reason !== undefined) return `HTTP/1.1 ${status} ${reason}\r\n`;
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    statusLines.set(status, line);
  }
  return line;
}

// The last preset head: a response whose status line and lines are the last one's sends
// the very same string, which the native copy has already flattened.
const lastHead = { status: '', lines: '', head: '' };

function presetHeadText(status: string, lines: string): string {
  if (status === lastHead.status && lines === lastHead.lines) return lastHead.head;
  lastHead.status = status;
  lastHead.lines = lines;
  lastHead.head = status + lines;
  return lastHead.head;
}

type Callback = () => void | Promise<void>;
export type Chunk = string | Uint8Array;

/** @internal Told what happens to an exchange without a promise per call (the node:http layer). */
export interface ExchangeObserver {
  /** The connection went away or the exchange was aborted. */
  exchangeAborted(ex: Exchange): void;
  /** Output that was over the high-water mark has drained. */
  exchangeDrained(ex: Exchange): void;
}

const EMPTY_HEAD = Buffer.alloc(0);

export class Exchange {
  readonly connection: number;
  readonly seq: number;
  readonly flags: number;

  // request
  private bodyStream: RequestBody | null = null;
  maxRequestBodySize: number | null;
  trailers: Map<string, string> | null = null;
  /** The trailer fields as received: [name0, value0, name1, value1, …] (node's rawTrailers). */
  rawTrailers: string[] | null = null;

  // response
  status = 200;
  reason: string | undefined = undefined;
  private responseHeaders: ResponseHeaders | null = null;
  /** Field lines made and checked by the caller (presetHead), sent in place of `headers`. */
  private presetLines: string | null = null;
  private presetFlags = 0;
  private presetLength = -1;
  /** Seconds HTTP.sys may cache the response for (HttpResponseCacheFeature); 0: not cached. */
  cacheTtl = 0;
  started = false;
  ended = false;
  aborted = false;
  private starting: Callback[] | null = null;
  private startingPromise: Promise<void> | null = null;
  private startingDone = false;
  private completedRan = false;
  private completed: Callback[] | null = null;
  private drainWaiters: (() => void)[] | null = null;
  private controller: AbortController | null = null;
  /** @internal The node:http layer's view of this exchange, told of aborts and drains. */
  observer: ExchangeObserver | null = null;

  constructor(
    readonly host: ExchangeHost,
    readonly words: Uint32Array,
    readonly bytes: Buffer,
    readonly record: number,
  ) {
    this.connection = words[record + 1];
    this.seq = words[record + 2];
    this.flags = words[record + FLAGS];
    this.maxRequestBodySize = host.maxRequestBodySize;
  }

  /** The response's fields, made on first use (the node:http layer's heads never need them). */
  get headers(): ResponseHeaders {
    let h = this.responseHeaders;
    if (h === null) {
      h = this.responseHeaders = new ResponseHeaders();
      h.locked = this.started;
    }
    return h;
  }

  // ---- request data ------------------------------------------------------------------

  text(offsetWord: number, lengthWord: number): string {
    const off = this.words[this.record + offsetWord];
    // latin1Slice: what toString('latin1', …) ends in, without its argument handling.
    return (this.bytes as Latin1Buffer).latin1Slice(off, off + this.words[this.record + lengthWord]);
  }
  get method(): string {
    // GET is most requests: no string is made for it.
    const off = this.words[this.record + METHOD_OFF];
    const b = this.bytes;
    if (this.words[this.record + METHOD_LEN] === 3 && b[off] === 0x47 && b[off + 1] === 0x45 && b[off + 2] === 0x54) return 'GET';
    return this.text(METHOD_OFF, METHOD_LEN);
  }
  get rawTarget(): string {
    return this.text(TARGET_OFF, TARGET_LEN);
  }
  /** @internal Where the target is in `bytes`. */
  get targetOffset(): number {
    return this.words[this.record + TARGET_OFF];
  }
  get targetLength(): number {
    return this.words[this.record + TARGET_LEN];
  }
  get contentLength(): number | undefined {
    if (!(this.flags & this.host.constants.REQUEST_HAS_CONTENT_LENGTH)) return undefined;
    return this.words[this.record + CL_HI] * 0x100000000 + this.words[this.record + CL_LO];
  }
  /** @internal A copy of the head as received, from its method through its empty line (node:http's rawPacket). */
  headCopy(): Buffer {
    const start = this.words[this.record + METHOD_OFF];
    const end = this.bytes.indexOf('\r\n\r\n', start, 'latin1');  // the head's own bytes end with it
    return Buffer.from(this.bytes.subarray(start, end < 0 ? start : end + 4));
  }
  /**
   * @internal Where, counting from the method, node:http's count of the head (headBytes)
   * reaches `limit`: just past the span that makes it (the target, a field name or value),
   * as llhttp's error position for HPE_HEADER_OVERFLOW; 0 if it never does.
   */
  headBytesReach(limit: number): number {
    const words = this.words;
    const start = words[this.record + METHOD_OFF];
    let n = words[this.record + TARGET_LEN];
    if (n >= limit) return words[this.record + TARGET_OFF] + n - start + 1;
    const end = this.record + REQUEST_FIXED_WORDS + 4 * words[this.record + FIELD_COUNT];
    for (let w = this.record + REQUEST_FIXED_WORDS; w < end; w += 2) {
      n += words[w + 1];
      if (n >= limit) return words[w] + words[w + 1] - start + 1;
    }
    return 0;
  }
  /** @internal The head's size as node:http counts it: the target and every field's name and value. */
  get headBytes(): number {
    const words = this.words;
    let n = words[this.record + TARGET_LEN];
    const end = this.record + REQUEST_FIXED_WORDS + 4 * words[this.record + FIELD_COUNT];
    for (let w = this.record + REQUEST_FIXED_WORDS; w < end; w += 4) n += words[w + 1] + words[w + 3];
    return n;
  }
  get fieldCount(): number {
    return this.words[this.record + FIELD_COUNT];
  }
  get firstFieldWord(): number {
    return this.record + REQUEST_FIXED_WORDS;
  }
  get addressOffset(): number {
    return this.words[this.record + ADDRESS_OFF];
  }
  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  // ---- request body -------------------------------------------------------------------

  get body(): RequestBody {
    if (this.bodyStream === null) {
      this.bodyStream = new RequestBody(this, this.has(this.host.constants.REQUEST_HAS_BODY));
      // Asked for only after the exchange is over: there is nothing left to read.
      if (this.aborted || this.ended) this.dropBody();
    }
    return this.bodyStream;
  }
  get bodyStarted(): boolean {
    return this.bodyStream !== null && this.bodyStream.started;
  }
  /** @internal The body was asked for and has not ended yet: its bytes still come. */
  get bodyReading(): boolean {
    return this.bodyStream !== null && this.bodyStream.started && !this.bodyStream.complete && !this.bodyStream.destroyed;
  }
  startBody(): void {
    const r = this.host.native.readBody(this.connection, this.seq, this.maxRequestBodySize);
    if (r === SendResult.Gone) this.onAbort();
  }
  pauseBody(paused: boolean): void {
    const r = this.host.native.pauseBody(this.connection, this.seq, paused);
    if (r === SendResult.Gone) this.onAbort();
  }
  onBody(chunk: Buffer): void {
    this.bodyStream?.deliver(chunk);
  }
  onBodyEnd(trailers: Map<string, string> | null, rawTrailers: string[] | null = null): void {
    this.trailers = trailers;
    this.rawTrailers = rawTrailers;
    this.bodyStream?.finish();
  }
  onBodyError(status: number): void {
    const code = status === 413 ? 'SYSHTTP_ERR_BODY_TOO_LARGE' : status === 408 ? 'SYSHTTP_ERR_BODY_TIMEOUT' : 'SYSHTTP_ERR_BAD_REQUEST';
    this.bodyStream?.destroy(new SyshttpError(code, undefined, { status }));
  }

  /** The body will not arrive any more: a reader gets an error instead of waiting. */
  private dropBody(): void {
    const body = this.bodyStream;
    if (body === null || body.complete || body.destroyed) return;
    body.destroy(
      this.aborted ? new SyshttpError('SYSHTTP_ERR_CLIENT_ABORTED') : new SyshttpError('SYSHTTP_ERR_BODY_UNAVAILABLE'),
    );
  }

  // ---- lifetime --------------------------------------------------------------------------

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(new SyshttpError('SYSHTTP_ERR_CLIENT_ABORTED'));
    }
    return this.controller.signal;
  }

  /** The connection went away (or was aborted): everything pending settles. */
  onAbort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.controller?.abort(new SyshttpError('SYSHTTP_ERR_CLIENT_ABORTED'));
    this.dropBody();
    this.wakeWriters();
    if (!this.ended) {
      this.ended = true;
      this.host.release(this);
      this.runCompleted();
    }
    this.observer?.exchangeAborted(this);
  }

  /** Resets the connection, unless this exchange is already over (a reset then would hit the next request). */
  abort(): void {
    if (this.ended || this.aborted) return;
    this.host.native.abort(this.connection);
    this.onAbort();
  }

  // ---- response -------------------------------------------------------------------------

  onStarting(cb: Callback): void {
    if (this.started || this.startingPromise !== null) {
      throw new SyshttpError('SYSHTTP_ERR_RESPONSE_STARTED', 'onStarting after the response started');
    }
    (this.starting ??= []).push(cb);
  }
  onCompleted(cb: Callback): void {
    if (this.completedRan) throw new SyshttpError('SYSHTTP_ERR_RESPONSE_ENDED', 'onCompleted after completion');
    (this.completed ??= []).push(cb);
  }
  onDrain(): void {
    this.wakeWriters();
    this.observer?.exchangeDrained(this);
  }

  private wakeWriters(): void {
    const waiters = this.drainWaiters;
    if (waiters === null) return;
    this.drainWaiters = null;
    for (const w of waiters) w();
  }

  /**
   * Runs the onStarting callbacks once (last registered first, as ASP.NET Core does).
   * Every write, start or end made meanwhile waits on the same promise, in call order.
   */
  private beforeStart(): Promise<void> {
    if (this.startingPromise === null) {
      const callbacks = this.starting as Callback[];
      this.starting = null;
      this.startingPromise = (async () => {
        for (let i = callbacks.length - 1; i >= 0; i--) await callbacks[i]();
        this.startingDone = true;
      })();
    }
    return this.startingPromise;
  }

  private runCompleted(): void {
    this.completedRan = true;
    const callbacks = this.completed;
    this.completed = null;
    if (!this.bodyReading) this.dropBody();  // one being read goes on to its end
    if (callbacks === null) return;
    queueMicrotask(() => {
      for (let i = callbacks.length - 1; i >= 0; i--) {
        try {
          const r = callbacks[i]();
          if (r && typeof r.catch === 'function') r.catch((err: unknown) => this.host.reportError(err));
        } catch (err) {
          this.host.reportError(err);
        }
      }
    });
  }

  private get waitingToStart(): boolean {
    return !this.started && (this.starting !== null || (this.startingPromise !== null && !this.startingDone));
  }

  /** Before an error response: back to a fresh, unstarted response (no onStarting callbacks). */
  resetForError(status: number): void {
    this.starting = null;
    this.startingPromise = null;
    this.startingDone = false;
    if (this.responseHeaders !== null) {
      this.responseHeaders.locked = false;
      this.responseHeaders.clear();
    }
    this.presetLines = null;
    this.status = status;
    this.reason = undefined;
  }

  start(): Promise<void> {
    if (this.waitingToStart) return this.beforeStart().then(() => this.start());
    if (this.started || this.ended) return RESOLVED;
    return this.send(null, false);
  }

  write(chunk: Chunk): Promise<void> {
    let body: Chunk;
    try {
      body = normalise(chunk);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.waitingToStart) return this.beforeStart().then(() => this.write(body));
    if (this.ended) {
      if (this.aborted) return RESOLVED;
      return Promise.reject(new SyshttpError('SYSHTTP_ERR_RESPONSE_ENDED', 'write after end'));
    }
    return this.send(body, false);
  }

  end(chunk?: Chunk | null): Promise<void> {
    let body: Chunk | null = null;
    try {
      body = chunk === undefined || chunk === null ? null : normalise(chunk);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.waitingToStart) return this.beforeStart().then(() => this.end(body));
    if (this.ended) {
      if (body === null || this.aborted) return RESOLVED;
      return Promise.reject(new SyshttpError('SYSHTTP_ERR_RESPONSE_ENDED', 'end(chunk) after end'));
    }
    return this.send(body, true);
  }

  /**
   * @internal Sends at once, without onStarting callbacks or promises (the node:http layer,
   * which registers none): the native result (SendResult), with the exchange's state
   * updated as send() does. LengthMismatch and BadStatus leave an unsent head unsent.
   */
  sendNow(body: Chunk | null, ending: boolean, trailers?: string): number {
    const C = this.host.constants;
    if (ending && trailers !== undefined && trailers.length > 0) return this.endWithTrailers(body, trailers);
    let head: string | null = null;
    let flags = ending ? C.SEND_END : 0;
    let declared = -1;
    if (!this.started) {
      if (this.presetLines !== null) {
        head = presetHeadText(statusLine(this.status, this.reason), this.presetLines);
        flags |= this.presetFlags;
        declared = this.presetLength;
      } else {
        const h = this.headers;
        head = statusLine(this.status, this.reason) + h.serialize();
        if (h.size !== 0) {
          flags |= headFlags(C, h.getLower('date') !== undefined, h.getLower('connection'));
          const length = h.getLower('content-length');
          if (length !== undefined) declared = Number(length);  // validated by ResponseHeaders
        }
      }
      this.started = true;
      if (this.responseHeaders !== null) this.responseHeaders.locked = true;
    }
    if (this.cacheTtl > 0 && ending && head !== null) this.host.native.setResponseCache(this.connection, this.seq, this.cacheTtl);
    const r = this.host.native.send(this.connection, this.seq, this.status, head, body, flags, declared);
    if (r === SendResult.Ok || r === SendResult.Full) {
      if (ending) {
        this.ended = true;
        this.wakeWriters();  // a write still waiting for drain is settled by the end
        this.host.release(this);
        this.runCompleted();
      }
    } else if (r === SendResult.LengthMismatch || r === SendResult.BadStatus) {
      // Refused before anything was written: if the head was part of this call, the
      // response has not started and the error handler can still answer 500 (the
      // preset lines stay, to be sent or replaced).
      if (head !== null) {
        this.started = false;
        if (this.responseHeaders !== null) this.responseHeaders.locked = false;
      }
    } else if (r !== SendResult.Ended) {
      // Gone: the client left (or the connection is closing). Writes after that are
      // dropped, as node:http and Kestrel do, and the request counts as aborted.
      this.onAbort();
    }
    return r;
  }

  /**
   * Ends with a trailer section (`trailers`: field lines, each ending in CRLF, already
   * checked). Trailers need chunked framing: a response not started yet starts now
   * without ending (so the native side frames it chunked), then the last chunk carries
   * them. With a Content-Length, over HTTP/1.0, or on HTTP.sys they are dropped, as
   * node:http drops them without chunked framing.
   */
  private endWithTrailers(body: Chunk | null, trailers: string): number {
    const C = this.host.constants;
    if (!this.started) {
      const r = this.sendNow(body, false);
      if (r !== SendResult.Ok && r !== SendResult.Full) return r;
      body = null;
    }
    const r = this.host.native.send(this.connection, this.seq, this.status, trailers, body, C.SEND_END | C.SEND_TRAILERS, -1);
    if (r === SendResult.Ok || r === SendResult.Full) {
      this.ended = true;
      this.wakeWriters();
      this.host.release(this);
      this.runCompleted();
    } else if (r !== SendResult.Ended && r !== SendResult.LengthMismatch && r !== SendResult.BadStatus) {
      this.onAbort();
    }
    return r;
  }

  /**
   * @internal The response's field lines, made and checked by the caller (the node:http
   * layer's FieldLines), in place of `headers`: sent with the status line when the
   * response starts. `null` goes back to `headers`.
   */
  presetHead(fields: FieldLines | null): void {
    if (fields === null) {
      this.presetLines = null;
      return;
    }
    this.presetLines = fields.lines;
    const C = this.host.constants;
    this.presetFlags =
      headFlags(C, fields.hasDate, fields.connection) |
      (fields.hasKeepAlive ? C.SEND_HAS_KEEP_ALIVE : 0) |
      (fields.connectionRemoved ? C.SEND_HAS_CONNECTION : 0);
    if (fields.closeAnnounced) this.presetFlags &= ~C.SEND_CLOSE;
    if (fields.noLength) this.presetFlags |= C.SEND_NO_LENGTH;
    if (fields.noChunked) this.presetFlags |= C.SEND_NO_CHUNKED;
    if (fields.closeAfter) this.presetFlags |= C.SEND_CLOSE_AFTER;
    if (fields.appChunked) this.presetFlags |= C.SEND_APP_CHUNKED;
    if (fields.finalInformational) this.presetFlags |= C.SEND_FINAL_INFORMATIONAL;
    // Without framing the close ends the body; with Connection removed, say nothing of it.
    if (fields.noLength && fields.noChunked && fields.connectionRemoved) this.presetFlags |= C.SEND_CLOSE;
    this.presetLength = fields.contentLength === undefined ? -1 : Number(fields.contentLength);
  }

  /** @internal The Content-Length the response declared, or -1. */
  get declaredLength(): number {
    if (this.presetLines !== null) return this.presetLength;
    const length = this.headers.getLower('content-length');
    return length === undefined ? -1 : Number(length);
  }

  /** @internal Whether the response asks to close the connection (Connection: close). */
  get closeAsked(): boolean {
    if (this.presetLines !== null) return (this.presetFlags & (this.host.constants.SEND_CLOSE | this.host.constants.SEND_CLOSE_AFTER)) !== 0;
    const connection = this.headers.getLower('connection');
    return connection !== undefined && CLOSE.test(connection);
  }

  private send(body: Chunk | null, ending: boolean): Promise<void> {
    const r = this.sendNow(body, ending);
    if (r === SendResult.Ok || r === SendResult.Full) {
      if (r === SendResult.Ok || ending) return RESOLVED;
      return new Promise<void>((resolve) => (this.drainWaiters ??= []).push(resolve));
    }
    if (r === SendResult.LengthMismatch || r === SendResult.BadStatus) {
      return Promise.reject(
        r === SendResult.LengthMismatch
          ? new SyshttpError('SYSHTTP_ERR_CONTENT_LENGTH_MISMATCH', `more than the declared ${this.headers.get('content-length')} bytes`)
          : new SyshttpError('SYSHTTP_ERR_INVALID_ARG', `status ${this.status}`),
      );
    }
    if (r === SendResult.Ended) return Promise.reject(new SyshttpError('SYSHTTP_ERR_RESPONSE_ENDED'));
    return RESOLVED;
  }

  /**
   * @internal A 1xx response ahead of the final one (103 Early Hints, 100 Continue), with
   * its own fields. Not sent to HTTP/1.0 clients (RFC 9110 §15.2); a no-op once the final
   * response started.
   */
  informational(status: number, fields: readonly (readonly [string, string])[] = [], reason?: string): void {
    if (!Number.isInteger(status) || status < 100 || status > 199 || status === 101) {
      throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', `an informational status is 100-199 but not 101, got ${String(status)}`);
    }
    if (reason !== undefined && !REASON_PHRASE.test(reason)) {
      throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', 'a reason phrase is HTAB, SP, VCHAR or obs-text (RFC 9112 §4)');
    }
    if (this.started || this.ended) return;
    const lines = new ResponseHeaders();
    for (const [name, value] of fields) lines.append(name, value);
    const r = this.host.native.send(this.connection, this.seq, status, statusLine(status, reason) + lines.serialize(), null, 0, -1);
    if (r === SendResult.Gone) this.onAbort();
  }

  // ---- upgrade ------------------------------------------------------------------------

  /** The request asked to switch protocols and nothing was sent for it yet. */
  get upgradable(): boolean {
    return this.has(this.host.constants.REQUEST_UPGRADE) && !this.started && !this.ended && !this.aborted;
  }

  /**
   * @internal Hands the connection over as raw bytes, with nothing written for this
   * request (node's 'upgrade' event: the app writes its own 101). The request is over.
   */
  detach(): UpgradedStream {
    return this.takeOver(false, false).stream;
  }

  /**
   * @internal As detach(), with what came after the head so far handed back rather than
   * pushed onto the stream (node's 'upgrade' head).
   */
  detachWithHead(into?: UpgradedStream): { stream: UpgradedStream; head: Buffer } {
    return this.takeOver(false, true, into);
  }

  /**
   * @internal An upgrade behind responses not complete yet, handed over at once as node's
   * is: a stream whose writes, end and destroy wait for attach() (once detachWithHead(it)
   * succeeds), and what came after the head so far. Null where it cannot be (HTTP.sys,
   * an upgrade request with a body, one that may not upgrade).
   */
  heldUpgrade(): { stream: UpgradedStream; head: Buffer } | null {
    if (!this.upgradable) return null;
    const head = this.host.native.peekUpgrade(this.connection, this.seq);
    if (typeof head === 'number') return null;
    return { stream: new UpgradedStream(this.host.native, this.connection, decodeEndpoints(this.bytes, this.addressOffset), true), head };
  }

  /**
   * @internal As detach(), for any request not answered yet (node:http's raw socket writes
   * in place of a response): it must be the only request in flight on its connection.
   */
  hijack(): UpgradedStream {
    return this.takeOver(true, false).stream;
  }

  private takeOver(hijack: boolean, takeHead: boolean, into?: UpgradedStream): { stream: UpgradedStream; head: Buffer } {
    if (hijack ? this.started || this.ended || this.aborted : !this.upgradable) {
      throw new SyshttpError('SYSHTTP_ERR_NOT_UPGRADABLE', this.started || this.ended ? 'the response has started' : 'the request did not ask to upgrade');
    }
    const taken = this.host.native.detach(this.connection, this.seq, hijack, takeHead);
    const r = typeof taken === 'number' ? taken : SendResult.Ok;
    if (r === SendResult.Gone) {
      this.onAbort();
      throw new SyshttpError('SYSHTTP_ERR_CLIENT_ABORTED');
    }
    if (r !== SendResult.Ok) {
      throw new SyshttpError(
        'SYSHTTP_ERR_NOT_UPGRADABLE',
        r === SendResult.NotUpgradable ? 'earlier responses on the connection are not complete, or its body is unread' : `native result ${r}`,
      );
    }
    const stream = into ?? new UpgradedStream(this.host.native, this.connection, decodeEndpoints(this.bytes, this.addressOffset));
    this.host.adoptUpgraded(stream);
    this.started = true;
    this.ended = true;
    if (this.responseHeaders !== null) this.responseHeaders.locked = true;
    this.host.release(this);
    this.runCompleted();
    return { stream, head: typeof taken === 'number' ? EMPTY_HEAD : taken };
  }

  /** 101 Switching Protocols with the headers set so far, then the raw connection. */
  async upgrade(): Promise<UpgradedStream> {
    if (this.waitingToStart) await this.beforeStart();
    const head = statusLine(101, this.reason) + this.headers.serialize() + '\r\n';
    const stream = this.detach();
    stream.write(Buffer.from(head, 'latin1'));
    return stream;
  }
}

function normalise(chunk: unknown): Chunk {
  if (typeof chunk === 'string' || chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', 'a body chunk must be a string, Buffer, Uint8Array or ArrayBuffer');
}
