// `req`: an http.IncomingMessage over an exchange. Its fields are set the way node's
// parser sets them (rawHeaders plus node's own lazy `headers`/`headersDistinct`/`trailers`
// getters), and its body is the exchange's body stream, pulled on demand.
//
// Express (and others) replace the prototype of `req` with one built straight on
// http.IncomingMessage.prototype, so anything defined only on a subclass would vanish.
// What this view must do differently from node's IncomingMessage (_read, _destroy) is
// therefore set on each instance, as shared functions (no closure per request).
import { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Exchange, Latin1Buffer } from '../exchange';
import { kHeadersCount, kTrailersCount } from './internals';

const V10 = '1.0';
const V11 = '1.1';
const EMPTY_RAW: string[] = [];
/** The field strings of the request last built (see initRequest). */
let recentRaw: string[] = EMPTY_RAW;

/** @internal What the request view keeps, under one symbol (its prototype may be swapped). */
export const kExchange = Symbol('syshttp.exchange');
/** The body failed natively (413, 408, 400): not a reason to reset the connection. */
const kFailed = Symbol('syshttp.bodyFailed');

/** @internal Set by the server: answers a request whose body failed, when nobody else does. */
export const requestHooks: { bodyFailed: (ex: Exchange, status: number) => void } = { bodyFailed: () => undefined };
function bodyFailed(ex: Exchange, status: number): void {
  requestHooks.bodyFailed(ex, status);
}

interface RequestState {
  [kExchange]: Exchange;
  _read(this: RequestView, n: number): void;
  _destroy(this: RequestView, err: Error | null, cb: (err?: Error | null) => void): void;
}
type RequestView = IncomingMessage &
  RequestState &
  Record<symbol, unknown> & { _consuming: boolean; _readableState: { readingMore: boolean } };

/**
 * The strings of a connection's previous request. A keep-alive client sends the same
 * target and fields again and again: a string whose bytes repeat is reused (a byte
 * comparison) instead of made anew, and when the native side says the field lines are
 * the previous request's byte for byte (REQUEST_SAME_FIELDS), all of them are, unread.
 */
export interface RequestStrings {
  url: string;
  /** The field strings of request `seq`: a copy of its rawHeaders, which the app may change. */
  raw: string[];
  /** The request they came from (0: none yet). */
  seq: number;
}

function sliceOrReuse(bytes: Latin1Buffer, start: number, end: number, prev: string | undefined): string {
  if (prev !== undefined && prev.length === end - start) {
    let i = 0;
    while (i < prev.length && prev.charCodeAt(i) === bytes[start + i]) i++;
    if (i === prev.length) return prev;
  }
  return bytes.latin1Slice(start, end);
}

/** Fills any IncomingMessage (ours, or the class an app passed in options) from the exchange. */
/** maxFields: node's maxHeadersCount (the fields after that many are left out, as node's parser does). */
export function initRequest(
  req: IncomingMessage,
  ex: Exchange,
  method: string,
  hasBody: boolean,
  http10: boolean,
  maxFields: number,
  prev: RequestStrings | null,
): void {
  const r = req as RequestView;
  r[kExchange] = ex;
  r._read = readBody;
  r._destroy = destroyRequest;
  r.method = method;
  (r as { upgrade?: boolean }).upgrade = false;  // as node's parser sets it for a plain request (the constructor's null)
  const words = ex.words;
  const bytes = ex.bytes as Latin1Buffer;
  const targetOff = ex.targetOffset;
  const url = sliceOrReuse(bytes, targetOff, targetOff + ex.targetLength, prev?.url);
  r.url = url;
  if (http10) {
    r.httpVersion = V10;
    r.httpVersionMajor = 1;
    r.httpVersionMinor = 0;
  } else {
    r.httpVersion = V11;
    r.httpVersionMajor = 1;
    r.httpVersionMinor = 1;
  }
  // Header fields as sent; node's `headers` getter builds the object from them on first use.
  const n = Math.min(ex.fieldCount, maxFields);
  let raw: string[];
  if (
    prev !== null &&
    prev.seq === ex.seq - 1 &&
    (ex.flags & ex.host.constants.REQUEST_SAME_FIELDS) !== 0 &&
    prev.raw.length === 2 * n
  ) {
    raw = prev.raw.slice();
  } else {
    raw = new Array(2 * n);
    // A connection's first request compares with the last one built on any connection:
    // clients of one kind send the same names and mostly the same values, so connections
    // share those strings (interned, in effect) instead of each holding its own copies.
    const prevRaw = prev === null ? EMPTY_RAW : prev.raw.length > 0 ? prev.raw : recentRaw;
    for (let i = 0, w = ex.firstFieldWord; i < 2 * n; i += 2, w += 4) {
      raw[i] = sliceOrReuse(bytes, words[w], words[w] + words[w + 1], prevRaw[i]);
      raw[i + 1] = sliceOrReuse(bytes, words[w + 2], words[w + 2] + words[w + 3], prevRaw[i + 1]);
    }
    if (prev !== null) {
      prev.raw = raw.slice();
      recentRaw = prev.raw;  // a private copy: the app may change req.rawHeaders
    }
  }
  r.rawHeaders = raw;
  if (prev !== null) {
    prev.url = url;
    prev.seq = ex.seq;
  }
  r[kHeadersCount] = 2 * n;
  // Without a body the request is complete now; its end is pushed when it is read
  // (or when the response finishes), which spares the stream machinery otherwise.
  if (!hasBody) r.complete = true;
}

// ---- shared instance methods ------------------------------------------------------------

function readBody(this: RequestView): void {
  if (!this._consuming) {
    this._readableState.readingMore = false;
    this._consuming = true;
  }
  // node's readStart: reading the request resumes its socket (paused by readStop, below),
  // while its body is still to come (node's parser ends a request without one before it
  // is read, so its _read never runs: an upgraded socket is never resumed by it).
  const socket = this.socket;
  if (!this.complete && socket !== null && socket.readableFlowing === false && socket.readable) socket.resume();
  flowBody(this);
}

/**
 * @internal A body nobody has read yet starts to flow into its request (node's parser
 * pushes every body, so its socket pauses once an unread one fills the request's buffer):
 * for a socket whose 'pause' someone listens for.
 */
export function flowUnreadBody(request: IncomingMessage): void {
  const req = request as RequestView;
  const ex = req[kExchange];
  if (req.complete || req.destroyed || req._consuming || ex.bodyStarted || ex.ended) return;
  if (!ex.has(ex.host.constants.REQUEST_HAS_BODY)) return;
  flowBody(req);
}

/** @internal Someone would see the request's body were it to flow (node's _dump resumes it for them). */
export function listensForBody(req: IncomingMessage): boolean {
  return req.listenerCount('data') > 0 || req.listenerCount('readable') > 0 || req.listenerCount('end') > 0;
}

/**
 * @internal The request's body flows into it from now on (pushed, as node's parser pushes
 * it, paused when its buffer is full), without it counting as read (node's _consuming):
 * readBody, and the response's end for a body that the server will dump.
 */
export function flowBody(request: IncomingMessage): void {
  const req = request as RequestView;
  const ex = req[kExchange];
  if (!ex.has(ex.host.constants.REQUEST_HAS_BODY)) {
    req.push(null);
    return;
  }
  if (ex.ended && !ex.bodyStarted) {
    // The response completed before the body was read: the native side drops the body
    // (node:http would read and discard it), so it ends here.
    req.complete = true;
    req.push(null);
    return;
  }
  const body = ex.body;
  if (body.listenerCount('data') === 0) {
    // First read: the exchange's body starts flowing into the request, with its own
    // buffer as the native side's backpressure (it stops reading the socket when full).
    body.on('data', (chunk: Buffer) => {
      if (req.destroyed) return;  // gone, its response complete: the rest is dropped as it comes
      const socket = req.socket as unknown as { timeout?: number; touch?(): void; pause(): void } | null;
      if (socket !== null && socket.timeout && socket.touch !== undefined) socket.touch();  // activity, for setTimeout
      if (!req.push(chunk)) {
        body.pause();
        // node's readStop: its parser pauses the socket ('pause'); the request's _read resumes it.
        socket?.pause();
      }
    });
    body.once('end', () => {
      req.complete = true;
      const trailers = ex.rawTrailers;
      if (trailers !== null) {
        const rawTrailers = req.rawTrailers;
        for (let i = 0; i < trailers.length; i++) rawTrailers.push(trailers[i]);
        (req as Record<symbol, unknown>)[kTrailersCount] = rawTrailers.length;
      }
      req.push(null);
    });
    body.once('error', (err: Error & { code?: string; status?: number }) => {
      if (req.destroyed) return;
      if (err.code === 'SYSHTTP_ERR_CLIENT_ABORTED') {
        req.destroy(connReset());
      } else if (err.code === 'SYSHTTP_ERR_BODY_UNAVAILABLE') {
        req.destroy();  // the response completed first
      } else {
        // The client's fault, found natively (413 too large, 408 too slow, 400 malformed):
        // the request's 'error' (err.status says which); without a listener the server
        // answers it, as node:http's clientError handling does.
        const listened = req.listenerCount('error') > 0;
        (req as Record<symbol, unknown>)[kFailed] = true;
        // Nothing more will arrive: "complete" for those who wait on it (on-finished, which
        // body parsers use before answering the error), though the body is not whole.
        req.complete = true;
        req.destroy(err);
        if (!listened) bodyFailed(ex, err.status ?? 400);
      }
    });
  } else {
    (body as Readable).resume();
  }
}

function destroyRequest(this: RequestView, err: Error | null, cb: (err?: Error | null) => void): void {
  const ex = this[kExchange];
  // A request destroyed before it was read to its end (a GET not yet consumed too):
  // node destroys its socket, so the connection closes and no response comes; the same
  // here, unless the response is already complete.
  if ((!this.readableEnded || !this.complete) && this[kFailed] !== true && !ex.ended && !ex.aborted) {
    const socket = this.socket as { destroyed: boolean; destroy(): void } | null;
    if (socket !== null && !socket.destroyed) socket.destroy();
    else ex.abort();
  } else if (ex.ended && !ex.aborted && ex.bodyReading) {
    // Its response is complete, its body still coming: the rest is dropped as it comes
    // (flowBody's listener), so that the connection goes on to its next request.
    ex.body.resume();
  }
  // 'aborted' as node: the connection went away while the request was not read to its end
  // (its exchange is aborted, or the server is tearing the connection's requests down:
  // those behind the first are not aborted yet when it destroys them).
  if ((ex.aborted || (err !== null && (err as unknown as Record<symbol, unknown>)[kConnectionLost] === true)) && (!this.readableEnded || !this.complete)) {
    this.aborted = true;
    this.emit('aborted');
  }
  process.nextTick(afterDestroy, this, err, cb);
}

function afterDestroy(req: RequestView, err: Error | null, cb: (err?: Error | null) => void): void {
  // As node: the error is emitted only when someone listens for it.
  if (err && req.listenerCount('error') > 0) cb(err);
  else cb();
}

/** Marks connReset()'s errors: the connection is gone (destroyRequest emits 'aborted'). */
const kConnectionLost = Symbol('syshttp.connectionLost');

export function connReset(): Error {
  const err = new Error('aborted') as NodeJS.ErrnoException;
  err.code = 'ECONNRESET';
  (err as unknown as Record<symbol, unknown>)[kConnectionLost] = true;
  return err;
}
