// `res`: an http.ServerResponse whose write path is the exchange's. Header storage,
// validation and the getters (setHeader/getHeader/…, headersSent, writableEnded …) are
// node's own, from OutgoingMessage.prototype; writeHead is node's too, and ends in
// `_storeHeader`, which here hands the status and fields to the exchange instead of
// serialising them. The body goes to the native side with the head in one call when it
// can (`res.end(body)` after `writeHead` is a single native send).
//
// As for `req`, the overriding methods are set on each instance (shared functions), so a
// prototype swap (Express) keeps them.
import { type IncomingMessage, ServerResponse, STATUS_CODES, validateHeaderName, validateHeaderValue } from 'node:http';
import { SyshttpError } from '../errors';
import type { Exchange } from '../exchange';
import { FieldLines } from '../headers';
import { SendResult } from '../native';
import { kLimitReached, kNeedDrain, kOutHeaders, kUniqueHeaders } from './internals';
import { flowBody, kExchange, listensForBody } from './request';

type Callback = (err?: Error | null) => void;

/** @internal the write callbacks waiting for a drain */
export const kPending = Symbol('syshttp.pendingWrites');
/** @internal A write found the native side full: 'drain' comes with its drain. */
export const kFull = Symbol('syshttp.full');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ResponseView = ServerResponse & Record<symbol, any> & Record<string, any>;

function nodeError(Base: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, code: string, message: string): Error {
  const err = new Base(message) as NodeJS.ErrnoException;
  err.code = code;
  return err;
}

const writeAfterEnd = (): Error => nodeError(Error, 'ERR_STREAM_WRITE_AFTER_END', 'write after end');
const destroyedError = (method: string): Error =>
  nodeError(Error, 'ERR_STREAM_DESTROYED', `Cannot call ${method} after a stream was destroyed`);

function nop(): void {}

// node:http corks a response's socket on write() until the next tick (end() uncorks at
// once), so socket.destroy() in the tick of a write() drops those bytes, and bytes
// written in an earlier tick have reached the kernel. The tick of each response's last
// write() is kept to tell them apart (one nextTick per tick that has writes).
let tick = 0;
let tickEnding = false;
function nextTickBegins(): void {
  tick++;
  tickEnding = false;
}
/** @internal the response's last write() */
export const kWroteAt = Symbol('syshttp.wroteAt');
function markWrite(res: ResponseView): void {
  res[kWroteAt] = tick;
  if (!tickEnding) {
    tickEnding = true;
    process.nextTick(nextTickBegins);
  }
}
/** @internal Whether write() was called on `res` in this tick (node would still hold the bytes). */
export function wroteThisTick(res: object): boolean {
  return (res as ResponseView)[kWroteAt] === tick && tickEnding;
}

/** Fills any ServerResponse (ours, or the class an app passed in options) as a view over the exchange. */
export function initResponse(res: ServerResponse, ex: Exchange): void {
  const r = res as ResponseView;
  r[kExchange] = ex;
  r[kPending] = null;
  r._storeHeader = storeHeader;
  r.write = write;
  r.end = end;
  r.flushHeaders = flushHeaders;
  r._send = send;
  r._writeRaw = writeRaw;
  r.writeContinue = writeContinue;
  r.writeProcessing = writeProcessing;
  r.writeEarlyHints = writeEarlyHints;
}

export class NodeServerResponse extends ServerResponse {}

// ---- header: node's writeHead → here ------------------------------------------------------

// end() stores the head itself (_implicitHeader): the whole body is known.
let headAtEnd = false;

// writeHead's fields go straight into one string of field lines (FieldLines: the checks
// ResponseHeaders makes, in node's order), handed to the exchange as its head.
const fieldLines = new FieldLines();

// Fields of writeHead(status, fields): FieldLines checks them as node does (token names,
// field-value characters); node's validators run only to throw node's own error
// (ERR_INVALID_HTTP_TOKEN, ERR_HTTP_INVALID_HEADER_VALUE, ERR_INVALID_CHAR) on a bad one.
function addChecked(f: FieldLines, name: string, value: unknown): void {
  if (value === undefined || typeof name !== 'string') {
    validateHeaderName(name);
    validateHeaderValue(name, value as string);
  }
  try {
    f.add(name, value);
  } catch (err) {
    validateHeaderName(name);
    validateHeaderValue(name, value as string);
    throw err;
  }
}

/** node's uniqueHeaders option: the values of those names go out as one line, "; "-joined. */
function joinedIfUnique(unique: Set<string> | null | undefined, name: string, value: unknown): unknown {
  return unique && Array.isArray(value) && unique.has(name.toLowerCase()) ? value.join('; ') : value;
}

function storeHeader(this: ResponseView, firstLine: string, headers: unknown): void {
  const ex = this[kExchange] as Exchange;
  const f = fieldLines;
  f.reset();
  ex.presetHead(null);  // a writeHead that threw half-way leaves nothing behind
  const unique = this[kUniqueHeaders] as Set<string> | null | undefined;
  if (headers) {
    if (headers === this[kOutHeaders]) {
      // setHeader's fields, validated by node's setHeader already.
      const map = headers as Record<string, [string, unknown]>;
      for (const key in map) {
        const entry = map[key];
        f.add(entry[0], joinedIfUnique(unique, entry[0], entry[1]));
      }
    } else if (Array.isArray(headers)) {
      if (headers.length > 0 && Array.isArray(headers[0])) {
        for (let i = 0; i < headers.length; i++) {
          const name = String(headers[i][0]);
          addChecked(f, name, joinedIfUnique(unique, name, headers[i][1]));
        }
      } else {
        if (headers.length % 2 !== 0) {
          throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'headers' is invalid. Received ${String(headers)}`);
        }
        for (let n = 0; n < headers.length; n += 2) {
          const name = String(headers[n]);
          addChecked(f, name, joinedIfUnique(unique, name, headers[n + 1]));
        }
      }
    } else {
      const obj = headers as Record<string, unknown>;
      for (const key in obj) if (Object.hasOwn(obj, key)) addChecked(f, key, joinedIfUnique(unique, key, obj[key]));
    }
  }
  // sendDate = false (also what removeHeader('date') sets): no Date of the server's.
  if (this.sendDate === false) f.hasDate = true;
  // removeHeader('content-length' | 'transfer-encoding'): node then writes no such field.
  // An app's own Transfer-Encoding: chunked makes the body chunked, as node frames it then.
  // So does a head stored before end() gave the whole body (writeHead(), write(),
  // flushHeaders()): node decides the framing here, and without a Content-Length of the
  // app's own, it chunks (HTTP/1.1; an HTTP/1.0 body ends with the close).
  if ((this._removedContLen === true || f.teChunked || !headAtEnd) && f.contentLength === undefined) f.noLength = true;
  if (this._removedTE === true) f.noChunked = true;
  // removeHeader('connection'): node then writes no Connection field of its own.
  if (this._removedConnection === true && f.connection === undefined) f.connectionRemoved = true;
  else if (this[kLimitReached] === true && f.connection === undefined && this.shouldKeepAlive) {
    // maxRequestsPerSocket reached: node says close and leaves the connection open.
    f.add('Connection', 'close');
    f.closeAnnounced = true;
  }
  const status = this.statusCode;
  if (f.teChunked && (status === 204 || status === 304) && f.connection === undefined && !f.connectionRemoved) {
    // The app framed a response that has no body chunked: node:http then closes the
    // connection after it and says so (its Transfer-Encoding line is not sent here: a
    // 204 or 304 carries none, RFC 9110 §8.6, RFC 9112 §6.1).
    f.closeAfter = true;
    this.shouldKeepAlive = false;
  }
  // The app's own Transfer-Encoding goes out as node:http sends it, to an HTTP/1.1 client
  // (RFC 9112 §6.1: none to HTTP/1.0), on a response with a body and no Content-Length:
  // ending in chunked, the server chunks under it; otherwise the close ends the body
  // (node keeps the connection open, where the client cannot tell the body's end).
  if (
    f.teLines !== '' &&
    f.contentLength === undefined &&
    status !== 204 &&
    status !== 304 &&
    ex.host.appTransferEncoding === true &&
    (this.req as { httpVersionMinor?: number } | undefined)?.httpVersionMinor !== 0
  ) {
    f.keepTransferEncoding();
  }
  // node:http's rule: a Trailer field needs chunked framing, which HTTP/1.0, a
  // Content-Length and a body-less response do not have.
  if (f.hasTrailer) {
    const req = this.req as { httpVersionMinor?: number; method?: string } | undefined;
    if (
      req?.httpVersionMinor === 0 ||
      f.contentLength !== undefined ||
      req?.method === 'HEAD' ||
      status === 204 ||
      status === 304
    ) {
      throw nodeError(Error, 'ERR_HTTP_TRAILER_INVALID', 'Trailers are invalid with this transfer encoding');
    }
  }
  // A 1xx final response (writeHead(101) without a switch, as Express's res.status(101)
  // allows): node:http sends it with no body; the connection closes after it here, as
  // nothing can follow it that the client would read right. (Interim responses:
  // writeContinue, writeProcessing, writeEarlyHints; a real switch: the 'upgrade' event.)
  if (status < 200) f.finalInformational = true;
  ex.status = status;
  ex.presetHead(f);
  // node's chunkedEncoding: whether the body goes out chunked, as the native side frames it
  // (node says so for an app's own Transfer-Encoding: chunked whatever the response).
  this.chunkedEncoding =
    f.teChunked ||
    (f.noLength &&
    !f.noChunked &&
    f.contentLength === undefined &&
    status >= 200 &&
    status !== 204 &&
    status !== 304 &&
    this._hasBody !== false &&
    (this.req as { httpVersionMinor?: number } | undefined)?.httpVersionMinor !== 0);
  // node's _last: the connection closes after this response.
  // (Not for the close only announced at maxRequestsPerSocket: node keeps the connection.)
  this._last = !this.shouldKeepAlive || f.closeAfter || (f.connection !== undefined && !f.closeAnnounced && CLOSE_TOKEN.test(f.connection));
  const message = this.statusMessage;
  ex.reason = message === STATUS_CODES[status] ? undefined : message;
  // headersSent reads `_header`; node keeps the serialised head there. Ours is the
  // status line (the native side adds Date and the framing fields when it sends).
  this._header = firstLine;
  this._headerSent = false;
}

const CLOSE_TOKEN = /(?:^|,)\s*close\s*(?:,|$)/i;

// ---- body ------------------------------------------------------------------------------

function toBody(chunk: string | Uint8Array, encoding: BufferEncoding | null | undefined): string | Uint8Array {
  if (typeof chunk !== 'string') return chunk;
  if (!encoding || encoding === 'utf8' || encoding === 'utf-8') return chunk;
  return Buffer.from(chunk, encoding);
}

function checkChunk(chunk: unknown): void {
  if (chunk === null) throw nodeError(TypeError, 'ERR_STREAM_NULL_VALUES', 'May not write null values to stream');
  if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
    throw nodeError(
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      `The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${chunk === undefined ? 'undefined' : typeof chunk}`,
    );
  }
}

/** As node's onError: the callback gets the error, then 'error' is emitted, on the next tick. */
function onError(res: ResponseView, err: Error, callback: Callback): void {
  if (res.destroyed) return;
  process.nextTick(emitErrorNT, res, err, callback);
}
function emitErrorNT(res: ResponseView, err: Error, callback: Callback): void {
  callback(err);
  if (!res.destroyed) res.emit('error', err);
}

/** Sends through the exchange; what node's write_ returns. */
function sendChunk(res: ResponseView, body: string | Uint8Array | null, ending: boolean, callback: Callback | null): boolean {
  const ex = res[kExchange] as Exchange;
  const socket = res.socket as { timeout?: number; touch(): void; _httpMessage: unknown } | null;
  if (socket !== null) {
    if (socket.timeout) socket.touch();  // activity, for socket.setTimeout
    // node's outputSize: what a response queued behind another holds until its turn (the
    // head once, then the body; units as node counts them), 0 again when its turn comes.
    if (socket._httpMessage !== res) queuedOutput(res, body);
  }
  res._headerSent = true;  // as node's _send: the head goes with the first bytes
  // addTrailers() (node's own: it checks the fields and keeps their lines in _trailer).
  const r = ex.sendNow(body, ending, ending && res._trailer ? (res._trailer as string) : undefined);
  if (r === SendResult.Ok || (r === SendResult.Full && ending)) {
    if (callback !== null) process.nextTick(callback);
    return true;
  }
  if (r === SendResult.Full) {
    if (callback !== null) (res[kPending] ??= []).push(callback);
    res[kFull] = true;  // 'drain' waits for the native side's
    return false;
  }
  if (r === SendResult.LengthMismatch) {
    throw lengthMismatch(body === null ? 0 : Buffer.byteLength(body), ex.declaredLength);
  }
  if (r === SendResult.BadStatus) {
    throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', `status ${ex.status}`);
  }
  if (r === SendResult.Ended) {
    onError(res, writeAfterEnd(), callback ?? nop);
    return false;
  }
  // Gone: the connection went away; the exchange is aborted (and 'close' follows).
  if (callback !== null) process.nextTick(callback, destroyedError('write'));
  return false;
}

const bodyNotAllowed = (): Error =>
  nodeError(Error, 'ERR_HTTP_BODY_NOT_ALLOWED', 'Adding content for this request method or response status is not allowed.');

function lengthMismatch(actual: number, declared: number): Error {
  return nodeError(
    Error,
    'ERR_HTTP_CONTENT_LENGTH_MISMATCH',
    `Response body's content-length of ${actual} byte(s) does not match the content-length of ${declared} byte(s) set in header`,
  );
}

const kHeadCounted = Symbol('syshttp.headCounted');

function queuedOutput(res: ResponseView, body: string | Uint8Array | null): void {
  let size = body === null ? 0 : body.length;
  if (res[kHeadCounted] !== true) {
    res[kHeadCounted] = true;
    size += typeof res._header === 'string' ? res._header.length : 0;
  }
  res.outputSize += size;
}

/** Body bytes given so far, counted with res.strictContentLength (node's kBytesWritten). */
const kBytesGiven = Symbol('syshttp.bytesGiven');

/**
 * node's res.strictContentLength: with a Content-Length among the stored fields (and a
 * body allowed, no Transfer-Encoding), a write past it, an end() short of it, or an
 * end(chunk) that does not make it exact throws ERR_HTTP_CONTENT_LENGTH_MISMATCH before
 * anything is sent. (Bytes past a Content-Length are refused either way, see sendChunk.)
 */
function countStrict(res: ResponseView, body: string | Uint8Array | null, fromEnd: boolean): void {
  const length = body === null ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  const given = (res[kBytesGiven] as number | undefined) ?? 0;
  const declared = strictDeclared(res);
  if (declared >= 0 && (fromEnd ? given + length !== declared : given + length > declared)) {
    throw lengthMismatch(given + length, declared);
  }
  res[kBytesGiven] = given + length;
}

function strictDeclared(res: ResponseView): number {
  if (!res._header) return -1;  // as node: the fields are not stored yet
  // node's own _hasBody: false for HEAD (its constructor) and 204/304 (its writeHead).
  if (res._hasBody === false || res.hasHeader('transfer-encoding')) return -1;
  return (res[kExchange] as Exchange).declaredLength;
}

/** A body for a response that has none (HEAD, 204, 304) throws, with the server's rejectNonStandardBodyWrites. */
function checkBodyAllowed(res: ResponseView): void {
  if (res._hasBody !== false) return;
  const server = (res.socket as { server?: { rejectNonStandardBodyWrites?: boolean } } | null)?.server;
  if (server?.rejectNonStandardBodyWrites === true) throw bodyNotAllowed();
}

function write(this: ResponseView, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  if (typeof encoding === 'function') {
    callback = encoding;
    encoding = null;
  }
  checkChunk(chunk);
  const cb = typeof callback === 'function' ? (callback as Callback) : null;
  let err: Error | null = null;
  if (this.finished) err = writeAfterEnd();
  else if (this.destroyed) err = destroyedError('write');
  if (err !== null) {
    if (!this.destroyed) onError(this, err, cb ?? nop);
    else if (cb !== null) process.nextTick(cb, err);
    return false;
  }
  const body = toBody(chunk as string | Uint8Array, encoding as BufferEncoding | null);
  if (this.strictContentLength === true) countStrict(this, body, false);
  if (!this._header) this._implicitHeader();
  checkBodyAllowed(this);
  markWrite(this);  // before sendChunk schedules the callback: the tick ends first
  const ok = sendChunk(this, body, false, cb);
  if (!ok) {
    this[kNeedDrain] = true;
    return false;
  }
  if (atHighWaterMark(this, body)) {
    // As a socket's write(): a chunk of the high-water mark or more says wait for 'drain',
    // which comes once the native side has taken it (at once here: it had room).
    this[kNeedDrain] = true;
    process.nextTick(drainNT, this);
    return false;
  }
  return true;
}

function atHighWaterMark(res: ResponseView, body: string | Uint8Array): boolean {
  const length = body.length;  // a string's UTF-8 bytes are at least its length in units
  if (length === 0) return false;
  const hwm = res.writableHighWaterMark;
  if (typeof body !== 'string') return length >= hwm;
  return 3 * length >= hwm && Buffer.byteLength(body) >= hwm;
}

function drainNT(res: ResponseView): void {
  // Not when a later write found the native side full (its drain says when), nor after
  // end() (as node's: no 'drain' once finished).
  if (res[kNeedDrain] !== true || res[kFull] === true || res.destroyed || res.finished) return;
  res[kNeedDrain] = false;
  res.emit('drain');
}

function end(this: ResponseView, chunk?: unknown, encoding?: unknown, callback?: unknown): ResponseView {
  if (typeof chunk === 'function') {
    callback = chunk;
    chunk = null;
    encoding = null;
  } else if (typeof encoding === 'function') {
    callback = encoding;
    encoding = null;
  }
  const cb = typeof callback === 'function' ? (callback as Callback) : null;
  if (chunk) {
    checkChunk(chunk);
    if (this.finished) {
      onError(this, writeAfterEnd(), cb ?? nop);
      return this;
    }
  } else if (this.finished) {
    if (cb !== null) {
      if (!this.writableFinished) this.on('finish', cb);
      else cb(nodeError(Error, 'ERR_STREAM_ALREADY_FINISHED', 'Cannot call end after a stream was finished'));
    }
    return this;
  }
  if (this.destroyed) {
    if (cb !== null) process.nextTick(cb, destroyedError('end'));
    return this;
  }
  const body = chunk ? toBody(chunk as string | Uint8Array, encoding as BufferEncoding | null) : null;
  if (this.strictContentLength === true && body !== null) countStrict(this, body, true);
  if (!this._header) {
    headAtEnd = true;  // the body is whole: a Content-Length for it
    try {
      this._implicitHeader();
    } finally {
      headAtEnd = false;
    }
  }
  if (body !== null) checkBodyAllowed(this);
  if (cb !== null) this.once('finish', cb);
  if (this.strictContentLength === true && body === null) countStrict(this, null, true);
  // A body the app asked for (resume(), a 'data' listener) but that has not started to
  // flow: node:http's parser delivers it all the same; start it now, before the native
  // side drops a body unread at the response's end.
  // So too a body the server will dump (node's resOnFinish) while someone listens on the
  // request: node's parser had pushed it, and the dump's resume lets them see it.
  const req = this.req as (IncomingMessage & { _consuming: boolean }) | undefined;
  if (req !== undefined && !req.complete) {
    const ex = this[kExchange] as Exchange;
    if (!ex.bodyStarted) {
      if (req.readableFlowing === true) {
        req.read(0);  // the body's listeners on req (readBody)
        ex.body.read(0);  // and the native read, now
      } else if (!req._consuming && !req.destroyed && listensForBody(req)) {
        flowBody(req);  // not read: still the server's to dump
        ex.body.read(0);
      }
    }
  }
  sendChunk(this, body, true, null);
  this.finished = true;
  const ex = this[kExchange] as Exchange;
  // Aborted meanwhile: 'close' comes from the abort, without 'finish' (as node).
  if (!ex.aborted) {
    this.emit('prefinish');  // synchronous, as node's _finish
    process.nextTick(finishNT, this);
  }
  return this;
}

/** The server's part of finishing (node's resOnFinish), set by the server. */
export const finishHooks: { onFinish: (res: ServerResponse) => void } = { onFinish: nop };

function finishNT(res: ResponseView): void {
  settlePending(res, null);
  // The server's part runs from a 'finish' listener, as node's resOnFinish does, so an app
  // that delays the event (wrapping emit) delays 'close' too. First, as node's (added when
  // the response is made): the app's 'finish' listeners see the socket detached, and the
  // 'close' it schedules comes before what they schedule.
  res.prependListener('finish', onFinished);
  try {
    res.emit('finish');
  } catch (err) {
    onFinished.call(res);  // an app listener threw before it: the response still ends here
    throw err;
  }
}
function onFinished(this: ResponseView): void {
  finishHooks.onFinish(this);
}

/** @internal The write callbacks waiting for a drain, called (with `err` on abort). */
export function settlePending(res: ServerResponse, err: Error | null): void {
  const r = res as ResponseView;
  const pending = r[kPending] as Callback[] | null;
  if (pending === null) return;
  r[kPending] = null;
  for (const cb of pending) {
    if (err === null) cb();
    else cb(err);
  }
}

function flushHeaders(this: ResponseView): void {
  if (!this._header) this._implicitHeader();
  const ex = this[kExchange] as Exchange;
  if (!ex.started && !ex.ended && !this.destroyed) sendChunk(this, null, false, null);
  this._headerSent = true;
}

// node's internal senders, for code that calls them directly: bytes of the body.
function send(this: ResponseView, data: string | Uint8Array, encoding?: BufferEncoding | null, callback?: Callback): boolean {
  if (typeof data === 'string' && data.length === 0) {
    this.flushHeaders();
    if (typeof callback === 'function') process.nextTick(callback);
    return true;
  }
  return this.write(data, encoding as BufferEncoding, callback as Callback);
}
/** An informational response's head written raw, held until its empty line (writeRaw). */
const kRawInterim = Symbol('syshttp.rawInterim');
const INTERIM_START = /^HTTP\/1\.[01] 1(?:0[02-9]|[1-9]\d) /;
const INTERIM_HEAD = /^HTTP\/1\.[01] (1\d\d) ([^\r\n]*)\r\n/;

/**
 * node's _writeRaw puts bytes on the socket as they are. Before the response starts, the
 * only bytes that can go there are a 1xx response (a 102 or 103 written by hand): its head
 * is gathered until its empty line and sent as the informational response it is. Anything
 * else is body, as node's _send makes it.
 */
function writeRaw(this: ResponseView, data: string | Uint8Array, encoding?: BufferEncoding | Callback | null, callback?: Callback): boolean {
  if (typeof encoding === 'function') {
    callback = encoding;
    encoding = null;
  }
  const ex = this[kExchange] as Exchange;
  if (ex.started || ex.ended) {
    this[kRawInterim] = undefined;  // a head held since can no longer go out
    return send.call(this, data, encoding, callback);
  }
  // The bytes as node would put them on the socket (a string is UTF-8 unless told).
  const bytes = typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const held = this[kRawInterim] as string | undefined;
  const sofar = held === undefined ? bytes.toString('latin1') : held + bytes.toString('latin1');
  if (held === undefined && !INTERIM_START.test(sofar)) return send.call(this, data, encoding, callback);
  const end = sofar.indexOf('\r\n\r\n');
  if (end < 0) {
    this[kRawInterim] = sofar;
    if (typeof callback === 'function') process.nextTick(callback);
    return true;
  }
  this[kRawInterim] = undefined;
  sendRawInterim(this, sofar.slice(0, end + 2));
  const rest = sofar.slice(end + 4);
  if (rest.length > 0) return writeRaw.call(this, Buffer.from(rest, 'latin1'), null, callback);
  if (typeof callback === 'function') process.nextTick(callback);
  return true;
}

function sendRawInterim(res: ResponseView, head: string): void {
  const m = INTERIM_HEAD.exec(head);
  if (m === null) throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', 'a raw informational response must start with its status line');
  const fields: [string, string][] = [];
  for (const line of head.slice(m[0].length).split('\r\n')) {
    if (line.length === 0) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', `not a field line: ${JSON.stringify(line)}`);
    fields.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  const status = Number(m[1]);
  (res[kExchange] as Exchange).informational(status, fields, m[2]);
  if (status === 100) res._sent100 = true;
}

// ---- informational responses -------------------------------------------------------------

/** 100 Continue now (the native side would send it when the body starts being read). */
function writeContinue(this: ResponseView, callback?: Callback): void {
  const ex = this[kExchange] as Exchange;
  ex.informational(100);
  this._sent100 = true;
  if (typeof callback === 'function') process.nextTick(callback);
}

/** 102 Processing. */
function writeProcessing(this: ResponseView, callback?: Callback): void {
  (this[kExchange] as Exchange).informational(102);
  if (typeof callback === 'function') process.nextTick(callback);
}

/** A Link value as node's writeEarlyHints takes it: `<uri>` then `; param[=value]`s. */
const LINK_VALUE = /^(?:<[^>]*>)(?:\s*;\s*[^;"\s]+(?:=(")?[^;"\s]*\1)?)*$/;

/** 103 Early Hints: a Link field (node's validation) and any other hint fields. */
function writeEarlyHints(this: ResponseView, hints: unknown, callback?: Callback): void {
  if (hints === null || typeof hints !== 'object' || Array.isArray(hints)) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "hints" argument must be of type object');
  }
  const h = hints as Record<string, unknown>;
  if (h.link === null || h.link === undefined) return;
  const links = Array.isArray(h.link) ? h.link : [h.link];
  for (const v of links) {
    // node's format check (validateLinkHeaderValue), and no line breaks in any part.
    if (typeof v !== 'string' || !LINK_VALUE.test(v) || /[\r\n]/.test(v)) {
      throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'hints' is invalid. Received ${String(h.link)}`);
    }
  }
  const link = links.join(', ');
  if (link.length === 0) return;
  const fields: [string, string][] = [['Link', link]];
  for (const key of Object.keys(h)) {
    if (key === 'link') continue;
    validateHeaderName(key);
    validateHeaderValue(key, h[key] as string);
    fields.push([key, String(h[key])]);
  }
  (this[kExchange] as Exchange).informational(103, fields);
  if (typeof callback === 'function') process.nextTick(callback);
}
