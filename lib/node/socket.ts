// The `socket` of the node:http layer: one per connection, shared by its requests, with
// the members apps read (addresses, destroy, setTimeout, setNoDelay, setKeepAlive,
// readable/writable) and the events they listen to ('close', 'timeout', 'error'). It is a
// net.Socket without a handle (`socket instanceof net.Socket` holds, as apps and node's
// tests check), every member that would use the handle overridden here; it carries no
// bytes of its own until a raw write hijacks the connection: the HTTP bytes are the
// native side's. (An upgraded connection's raw bytes come through the upgrade stream.)
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { SyshttpError } from '../errors';
import { tcpKeepAliveDelay } from '../tcp-options';
import type { UpgradedStream } from '../upgraded-stream';
import type { Exchange, ExchangeObserver } from '../exchange';
import { ParserView, type ParserOwner } from './parser-view';
import { flowUnreadBody, kExchange, type RequestStrings } from './request';
import { wroteThisTick } from './response';

/** Both ends of a connection (HttpConnectionFeature, ClientErrorInfo). */
export interface SocketEndpoints {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** What a socket needs from its server. */
export interface SocketHost {
  /** An exchange of this connection was aborted: the connection is gone. */
  connectionAborted(socket: NodeSocket): void;
  /** An exchange's output drained. */
  exchangeDrained(socket: NodeSocket, ex: Exchange): void;
  /** The connection id is gone: forget its socket. */
  socketClosed(socket: NodeSocket): void;
  /** A socket timed out: the server decides who hears of it (node:http's socketOnTimeout). */
  socketTimedOut(socket: NodeSocket): void;
  /**
   * Closes the connection (native); flushInFlight: a response in flight's queued bytes go
   * out first; reset: with an RST.
   */
  abortConnection(id: number, flushInFlight?: boolean, reset?: boolean): void;
  /**
   * A raw write on an HTTP connection: its one request in flight, not answered yet, is
   * handed over (node:http's hijack, e.g. a clientError listener's or a hijacked
   * reply's own response bytes). Null when it cannot be.
   */
  hijack(socket: NodeSocket): Duplex | null;
  /** socket.ref()/unref(): whether the connection keeps the process alive. */
  refConnection(id: number, ref: boolean): void;
  /** A 'data' listener on the socket: the connection's received bytes are copied to it from now on (receivedCopy); paused: not now. */
  mirrorInput(id: number, paused: boolean): void;
  /** socket.setNoDelay(): the connection's TCP_NODELAY (native; nothing on HTTP.sys). */
  setNoDelay(id: number, on: boolean): void;
  /** socket.setKeepAlive(): the connection's SO_KEEPALIVE, its delay in seconds (-1: off). */
  setKeepAlive(id: number, delaySeconds: number): void;
  /** socket.parser is being read: node's settings for its view (ParserView). */
  parserSettings(): { joinDuplicateHeaders: boolean; maxHeaderPairs: number };
  /** [bytesRead, bytesWritten, queued] so far, or undefined (the connection is gone, or HTTP.sys). */
  byteCounts(id: number): [number, number, number] | undefined;
}

// Typed as the Duplex it is used as: net.Socket's declared members (its handle-backed
// accessors among them) are all replaced below.
const SocketBase = Socket as unknown as typeof Duplex;

export class NodeSocket extends SocketBase implements ExchangeObserver, ParserOwner {
  /** All four are undefined on a Unix socket connection, as node:net's. */
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: 'IPv4' | 'IPv6' | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  /** The server (node's net.Socket has it too). */
  server: unknown = null;
  /** The response being written on this connection, as node:http keeps it. */
  _httpMessage: unknown = null;
  timeout: number | undefined = undefined;
  /** @internal the responses of this connection not finished yet, oldest first */
  readonly active: { [kExchange]: Exchange }[] = [];
  /** @internal requests seen on this connection */
  requests = 0;
  /** @internal last use, for the idle sweep */
  lastUsed = 0;
  /** @internal idle between requests: its timeout is the keep-alive time (node's keepAliveTimeoutSet) */
  keepAliveTimeoutSet = false;
  /** @internal a 'clientError' waiting for the responses ahead of it (a refused or bad head pipelined behind them) */
  afterResponses: (() => void) | null = null;
  /** @internal an upgrade pipelined behind this socket's responses, handed to its listener already (its turn: afterResponses) */
  heldUpgrade: UpgradedStream | null = null;
  /** @internal the connection's raw stream once hijacked (raw writes in place of a response) */
  raw: Duplex | null = null;
  /** @internal the refused request whose 'clientError' is being emitted (hijack() takes it) */
  refusedExchange: { ex: Exchange; status: number } | null = null;
  /** @internal the previous request's strings, reused when the next repeats them (initRequest) */
  readonly strings: RequestStrings = { url: '', raw: [], seq: 0 };
  /** @internal a request was refused (node:http's parser would have stopped): later ones are too */
  refused = false;
  /** @internal the request whose head was parsed last, until its response finished and it ended (node's parser.incoming) */
  parsedLast: unknown = null;
  /** `socket.parser` once read (undefined: never read; null: freed, or set so). */
  private parserState: ParserView | null | undefined = undefined;
  private timer: NodeJS.Timeout | null = null;
  private gone = false;
  /** resetAndDestroy(): the close is a reset. */
  private resetting = false;
  /** The server closes the connection after a response: its 'close' comes after the turn's immediates. */
  private closeAfterImmediates = false;
  /** @internal A 'close' listener was added since the server last put its own after the others (keepLast). */
  closeListenerAdded = false;
  /** @internal Request bodies flow into their requests unread (a 'pause' listener: listenForPause). */
  bodiesFlow = false;
  /** The connection's received bytes come as 'data' too (an app listens for them). */
  private mirroring = false;
  /** ... and the socket's buffer is full: the native side reads no more until _read(). */
  private mirrorPaused = false;
  /** TCP_NODELAY as set (on at accept); SO_KEEPALIVE's delay in seconds as set, -1: off. */
  private noDelay = true;
  private keepAliveDelay = -1;
  /** The byte counts last read from the native side; final once the connection is gone. */
  private counts: [number, number, number] | null = null;
  private countsFinal = false;

  /** @internal */
  constructor(
    private readonly host: SocketHost,
    /** @internal the native connection id */ readonly id: number,
    c: SocketEndpoints,
    highWaterMark?: number,
  ) {
    super({ allowHalfOpen: true, highWaterMark });
    const tcp = c.localAddress !== '';  // a Unix socket's ends have no address
    this.remoteAddress = tcp ? c.remoteAddress : undefined;
    this.remotePort = tcp ? c.remotePort : undefined;
    this.remoteFamily = tcp ? (c.remoteAddress.includes(':') ? 'IPv6' : 'IPv4') : undefined;
    this.localAddress = tcp ? c.localAddress : undefined;
    this.localPort = tcp ? c.localPort : undefined;
  }

  // `connecting` is net.Socket's own field (false: there is no connect here).
  get pending(): boolean {
    return false;
  }
  get readyState(): string {
    return this.gone ? 'closed' : 'open';
  }
  /** Bytes given to the connection so far, written or queued (as net.Socket's; 0 on HTTP.sys). */
  get bytesWritten(): number {
    this.readCounts();
    return this.counts === null ? 0 : this.counts[1];
  }
  /** Bytes received on the connection so far (as net.Socket's; 0 on HTTP.sys). */
  get bytesRead(): number {
    this.readCounts();
    return this.counts === null ? 0 : this.counts[0];
  }

  /**
   * node:http's parser of this connection, as a view (ParserView): what node's server
   * sets on it, and `incoming`. null once the connection has closed, as node frees it.
   */
  get parser(): ParserView | null {
    if (this.parserState === undefined) {
      if (this.gone) return null;
      const { joinDuplicateHeaders, maxHeaderPairs } = this.host.parserSettings();
      this.parserState = new ParserView(this, joinDuplicateHeaders, maxHeaderPairs);
    }
    return this.parserState;
  }
  set parser(value: ParserView | null) {
    this.parserState = value;
  }

  /** @internal Bytes given to the connection and not yet written to the kernel. */
  queuedBytes(): number {
    this.readCounts();
    return this.counts === null || this.countsFinal ? 0 : this.counts[2];
  }

  private readCounts(): void {
    if (this.countsFinal || this.gone) return;
    const counts = this.host.byteCounts(this.id);
    if (counts !== undefined) this.counts = counts;
  }

  /** The last counts, while the connection is there to ask (its record may never reach this socket). */
  private keepFinalCounts(): void {
    this.readCounts();
    this.countsFinal = true;
  }

  /** @internal The connection's final counts (its ConnectionClosed record). */
  finalCounts(bytesRead: number, bytesWritten: number): void {
    this.counts = [bytesRead, bytesWritten, 0];
    this.countsFinal = true;
  }

  address(): { address: string; family: string; port: number } | Record<string, never> {
    if (this.gone || this.localAddress === undefined || this.localPort === undefined) return {};
    return { address: this.localAddress, family: this.localAddress.includes(':') ? 'IPv6' : 'IPv4', port: this.localPort };
  }

  // Listeners an app adds change what the socket does, as on node:http's: for 'data', the
  // bytes the connection receives come to it too, as they came, and are parsed all the
  // same (its parser's unconsume; Linux backends, HTTP.sys parses in the kernel and never
  // shows them); for 'pause', bodies flow unread (listenForPause); for 'close', the
  // server's own listener is moved after it (keepLast).
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    this.listenerAdding(event, listener);
    return super.on(event, listener);
  }
  override addListener(event: string | symbol, listener: (...args: any[]) => void): this {
    this.listenerAdding(event, listener);
    return super.addListener(event, listener);
  }
  override prependListener(event: string | symbol, listener: (...args: any[]) => void): this {
    this.listenerAdding(event, listener);
    return super.prependListener(event, listener);
  }

  /** What an app's listener changes (the three ways in to an EventEmitter's list). */
  private listenerAdding(event: string | symbol, listener: unknown): void {
    if (readsInput(event, listener)) this.listenForInput();
    else if (event === 'pause') this.listenForPause();
    else if (event === 'close') this.closeListenerAdded = true;
  }

  /**
   * node's parser pushes every request body, read or not, and pauses the socket once an
   * unread one fills its request's buffer. syshttp reads a body when it is read; for a
   * socket whose 'pause' someone listens for, bodies flow as node's do, so that it comes.
   */
  private listenForPause(): void {
    if (this.bodiesFlow) return;
    this.bodiesFlow = true;
    for (const res of this.active) flowUnreadBody((res as unknown as { req: IncomingMessage }).req);
  }

  /**
   * @internal node adds its onServerResponseClose to a socket's 'close' listeners as each
   * response takes the socket: after those there then. One listener here, moved after any
   * added since, as a response takes the socket, keeps that order at no cost per request.
   */
  keepLast(event: string, listener: (...args: any[]) => void): void {
    this.closeListenerAdded = false;
    // (EventEmitter's own store, read without the copy rawListeners() makes)
    const list = (this as unknown as { _events: Record<string, unknown> })._events[event];
    if (list === listener || (Array.isArray(list) && list[list.length - 1] === listener)) return;
    super.removeListener(event, listener);
    super.on(event, listener);
  }

  private listenForInput(): void {
    if (this.mirroring || this.raw !== null || this.gone) return;
    this.mirroring = true;
    this.host.mirrorInput(this.id, false);
  }

  /**
   * @internal Bytes the connection received (a copy; their requests are the native
   * parser's). When the socket's buffer is full (the app paused it, or pipes it somewhere
   * slow), reading stops until it asks for more (_read), as node's readStop.
   */
  receivedCopy(chunk: Buffer): void {
    if (this.raw !== null || this.destroyed) return;
    if (!this.push(chunk) && !this.mirrorPaused && !this.gone) {
      this.mirrorPaused = true;
      this.host.mirrorInput(this.id, true);
    }
  }

  /** Idle timeout as net.Socket#setTimeout: 'timeout' after `msecs` without a request or response. */
  setTimeout(msecs: number, callback?: () => void): this {
    if (typeof msecs !== 'number' || !Number.isFinite(msecs) || msecs < 0) {
      const err = new RangeError(`The value of "msecs" is out of range. It must be a non-negative finite number. Received ${String(msecs)}`);
      (err as NodeJS.ErrnoException).code = 'ERR_OUT_OF_RANGE';
      throw err;
    }
    this.timeout = msecs;
    if (callback !== undefined) {
      if (msecs === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (msecs > 0 && !this.gone) {
      this.timer = setTimeout(onSocketTimeout, msecs, this);
      this.timer.unref();
    }
    return this;
  }

  /** As on node:http's sockets: the bytes are HTTP's, never decoded text. */
  override setEncoding(_encoding?: BufferEncoding): this {
    const err = new Error('Changing the socket encoding is not allowed per RFC7230 Section 3.') as NodeJS.ErrnoException;
    err.code = 'ERR_HTTP_SOCKET_ENCODING';
    throw err;
  }

  /** TCP_NODELAY, as net.Socket's (on by default: the native side sets it at accept; Linux backends). */
  setNoDelay(noDelay?: boolean): this {
    const on = noDelay === undefined ? true : Boolean(noDelay);
    if (on !== this.noDelay && !this.gone) {
      this.noDelay = on;
      this.host.setNoDelay(this.id, on);
    }
    return this;
  }
  /**
   * TCP keep-alive probes, as net.Socket's: after `initialDelay` ms idle (whole seconds; 0:
   * the kernel's idle time), then every second, 10 of them, as libuv sets them (Linux backends).
   */
  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    const delay = tcpKeepAliveDelay(enable, initialDelay);
    if (delay !== this.keepAliveDelay && !this.gone) {
      this.keepAliveDelay = delay;
      this.host.setKeepAlive(this.id, delay);
    }
    return this;
  }
  /** Whether this connection keeps the process alive (it does by default, as node:net's sockets; Linux backends). */
  ref(): this {
    if (!this.gone) this.host.refConnection(this.id, true);
    return this;
  }
  unref(): this {
    if (!this.gone) this.host.refConnection(this.id, false);
    return this;
  }

  /** @internal ExchangeObserver */
  exchangeAborted(_ex: Exchange): void {
    if (!this.gone) this.host.connectionAborted(this);
  }
  /** @internal ExchangeObserver */
  exchangeDrained(ex: Exchange): void {
    this.host.exchangeDrained(this, ex);
  }

  /** @internal A request arrived on this connection, or a response ended: it was used. */
  touch(): void {
    if (this.timer !== null) this.timer.refresh();
  }

  override _read(): void {
    // Raw bytes only once hijacked; until then the request bytes are the native parser's
    // (copies of them while an app listens: reading goes on when it wants more).
    if (this.mirrorPaused && !this.gone) {
      this.mirrorPaused = false;
      this.host.mirrorInput(this.id, false);
    }
    this.raw?.resume();
  }

  override _write(chunk: unknown, encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.raw === null && !this.gone) this.raw = this.host.hijack(this);
    if (this.raw === null) {
      callback(
        new SyshttpError(
          'SYSHTTP_ERR_SERVER_STATE',
          'raw writes to an HTTP connection are supported only in place of the response to its one request in flight (write through res)',
        ),
      );
      return;
    }
    this.raw.write(chunk, encoding, callback);
  }

  // net.Socket's own _writev would write to its (absent) handle: buffered writes go the
  // same way as single ones.
  override _writev(chunks: { chunk: unknown; encoding: BufferEncoding }[], callback: (err?: Error | null) => void): void {
    const parts = chunks.map(({ chunk, encoding }) => (typeof chunk === 'string' ? Buffer.from(chunk, encoding) : (chunk as Uint8Array)));
    this._write(Buffer.concat(parts), 'buffer' as BufferEncoding, callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (this.raw !== null) {
      this.raw.end(callback);
      return;
    }
    // end(): nothing more will be written by us; the connection closes once its
    // responses are out, or now when it has none in flight.
    if (this.active.length === 0 && !this.gone) this.host.abortConnection(this.id);
    callback();
  }

  /** Closes the connection with a reset (RST), as net.Socket's resetAndDestroy(). */
  resetAndDestroy(): this {
    if (this.raw !== null) {
      (this.raw as Duplex & { resetAndDestroy?(): void }).resetAndDestroy?.();
    }
    this.resetting = true;
    this.destroy();
    return this;
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.raw !== null) {
      // Hijacked: the raw stream closes the connection (what was written goes out first).
      this.raw.destroy();
      this.closed_();
    } else if (!this.gone) {
      this.keepFinalCounts();
      // Closes the connection (a FIN, as destroying a net.Socket closes its fd) and every
      // request on it is aborted; a response already complete but not yet 'finish'ed does
      // not keep it open. Queued bytes go out first unless a response wrote this tick.
      this.host.abortConnection(this.id, !this.active.some(wroteThisTick), this.resetting);
      for (const res of this.active.slice()) res[kExchange].onAbort();
      this.closed_();
    }
    callback(err);
    // net.Socket turns the streams' own 'close' off (emitClose: false) and emits it after
    // its handle's close, with whether an error ended it: here on the next tick where
    // the connection is gone already (the peer's close, as node hears of it), after this
    // turn's immediates where the server closes it after a response (node's destroySoon:
    // the handle's close callback comes after them, so the request's 'end' comes first).
    if (this.closeAfterImmediates) setImmediate(emitSocketClose, this, err !== null && err !== undefined);
    else process.nextTick(emitSocketClose, this, err !== null && err !== undefined);
  }

  /**
   * @internal The connection is gone (reset, closed by the peer, or after a closing
   * response: afterResponse, see _destroy).
   */
  closed_(afterResponse = false): void {
    if (this.gone) return;
    this.closeAfterImmediates = afterResponse;
    this.keepFinalCounts();
    this.gone = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.active.length = 0;
    this.host.socketClosed(this);
    if (!this.destroyed) this.destroy();
  }

  /** @internal node's freeParser, as its server runs it first on the socket's 'close' (socketOnClose). */
  freeParser(): void {
    this.parsedLast = null;
    if (this.parserState != null) this.parserState.release();
    this.parserState = null;
  }

  /** @internal */
  get isGone(): boolean {
    return this.gone;
  }

  /** @internal node's onParserTimeout, through the parser view: the timeout handling, the timer left as it is. */
  parserTimedOut(): void {
    if (!this.gone) this.host.socketTimedOut(this);
  }

  /** @internal called by the timer */
  timedOut(): void {
    this.timer = null;
    if (this.gone) return;
    this.host.socketTimedOut(this);
  }
}

/** An app's listener for the socket's bytes ('data' other than node's own, or 'readable'). */
function readsInput(event: string | symbol, listener: unknown): boolean {
  return (event === 'data' && listener !== socketOnData) || event === 'readable';
}

/**
 * node:http's own 'data' listener on its sockets (its socketOnData feeds the parser; here
 * the native side parses, so it does nothing): as with node's, the socket flows from the
 * start, and an app's listener is the second.
 */
export function socketOnData(): void {}

function emitSocketClose(socket: NodeSocket, hadError: boolean): void {
  socket.emit('close', hadError);
}

function onSocketTimeout(socket: NodeSocket): void {
  socket.timedOut();
}

// writableLength as net.Socket's under node:http, which corks the socket while a response
// writes and uncorks it at end(), when the kernel takes the bytes: those written and not
// yet sent while the connection's response is still being written (what its
// writableLength adds to its own), 0 once it has ended: its bytes are the native side's
// to send then, as node's would be the kernel's (so writableFinished holds after end()).
// 0 on HTTP.sys. (Duplex declares it a field, so it is defined here, not in the class.)
// bufferSize (deprecated) as net.Socket's with a handle: its writableLength.
Object.defineProperty(NodeSocket.prototype, 'bufferSize', {
  configurable: true,
  enumerable: false,
  get(this: NodeSocket): number {
    return this.writableLength;
  },
});
Object.defineProperty(NodeSocket.prototype, 'writableLength', {
  configurable: true,
  enumerable: false,
  get(this: NodeSocket): number {
    const res = this._httpMessage as { finished?: boolean } | null;
    return res === null || res.finished === true ? 0 : this.queuedBytes();
  },
});
