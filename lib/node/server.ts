// syshttp/node: http.Server's interface over a syshttp Server. Each native request becomes
// an http.IncomingMessage / http.ServerResponse pair that are views over the same exchange
// the feature layer uses (lib/exchange.ts): no second HTTP implementation, no bytes
// serialised in JS.
import { getDefaultHighWaterMark, type Duplex } from 'node:stream';
import * as http from 'node:http';
import type * as net from 'node:net';
import { getSystemErrorMap, getSystemErrorName } from 'node:util';
import { SyshttpError } from '../errors';
import type { Exchange } from '../exchange';
import type { Limits, ServerOptions as SyshttpServerOptions } from '../options';
import { ConnectionFeature } from '../features/connection';
import { FieldLines } from '../headers';
import { Server as SyshttpServer, answerRefusedHead, type AddressInfo, type BackendChoice, type ClientErrorInfo } from '../server';
import { kNeedDrain, kLimitReached, kUniqueHeaders } from './internals';
import { clearIncoming } from './parser-view';
import { connReset, flowUnreadBody, initRequest, kExchange, listensForBody, requestHooks } from './request';
import { finishHooks, initResponse, kFull, settlePending } from './response';
import { NodeSocket, socketOnData, type SocketEndpoints, type SocketHost } from './socket';
import { UpgradedStream } from '../upgraded-stream';

export class IncomingMessage extends http.IncomingMessage {}
export class ServerResponse<Request extends http.IncomingMessage = http.IncomingMessage> extends http.ServerResponse<Request> {}

export interface ServerOptions {
  /** Classes to make `req` and `res` from (subclasses of node:http's, as with node:http). */
  IncomingMessage?: typeof http.IncomingMessage;
  ServerResponse?: typeof http.ServerResponse;
  /** Idle time on a kept-alive connection (ms), as server.keepAliveTimeout. Default 5000. */
  keepAliveTimeout?: number;
  /** Time to receive a request head (ms), as server.headersTimeout. Default 60000. */
  headersTimeout?: number;
  /** Time to receive a body being read (ms), as server.requestTimeout. Default 300000. */
  requestTimeout?: number;
  /** The request head's size as node:http counts it (target, field names and values; 431 beyond). Default: http.maxHeaderSize (16 KiB). */
  maxHeaderSize?: number;
  joinDuplicateHeaders?: boolean;
  /** false: an HTTP/1.1 request without Host is served, as node:http's option (Linux backends). Default true. */
  requireHostHeader?: boolean;
  /** node:net's: false turns Nagle's algorithm back on for each connection (default true: off). */
  noDelay?: boolean;
  /** node:net's: TCP keep-alive probes on each connection, after keepAliveInitialDelay ms idle (Linux backends). */
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /** The syshttp backend ('auto', 'io_uring', 'epoll'). */
  backend?: BackendChoice;
  /** syshttp limits (lib/options.ts); they win over the node-style options above. */
  limits?: Limits;
  [option: string]: unknown;
}

type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Res = Omit<http.ServerResponse, 'socket'> & { socket: unknown; [kExchange]: Exchange; [kNeedDrain]: boolean; [kStarted]: number } & Record<string, any>;
/** The sweeper's clock when the request arrived (requestTimeout). */
const kStarted = Symbol('syshttp.started');
type Req = http.IncomingMessage & Record<string, unknown>;

const NEVER = 0xffffffff;  // the largest native timeout: "none"
/** node:http's margin past keepAliveTimeout before an idle connection closes. */
const KEEP_ALIVE_BUFFER_MS = 1000;
const EMPTY = Buffer.alloc(0);
const SWEEP_MS = 1000;  // the sweeper's period: idle sockets, requestTimeout

function nodeError(Base: ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, code: string, message: string): NodeJS.ErrnoException {
  const err = new Base(message) as NodeJS.ErrnoException;
  err.code = code;
  return err;
}

/** node's validateInteger(value, name, 0) for the timeout options. */
function validateTimeout(value: unknown, name: string): number {
  if (typeof value !== 'number') {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type number. Received type ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < 0) {
    throw nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be an integer >= 0. Received ${value}`);
  }
  return value;
}

function validatePort(port: unknown, name: string): number {
  if (
    (typeof port !== 'number' && typeof port !== 'string') ||
    (typeof port === 'string' && port.trim().length === 0) ||
    +port !== +port >>> 0 ||
    +port > 65535
  ) {
    throw nodeError(RangeError, 'ERR_SOCKET_BAD_PORT', `${name} should be >= 0 and < 65536. Received ${typeof port} (${String(port)}).`);
  }
  return +port;
}

/** A listen() failure shaped as node:net reports it (code, errno, syscall, address, port). */
function listenError(err: unknown, address: string, port: number | undefined): Error {
  if (!(err instanceof SyshttpError) || err.errno === undefined) return err as Error;
  const errno = -Math.abs(err.errno);
  let code = 'UNKNOWN';
  let text = err.message;
  try {
    code = getSystemErrorName(errno);
    text = getSystemErrorMap().get(errno)?.[1] ?? text;
  } catch {
    // not a system errno
  }
  // node:net reports the bind's failures (EADDRINUSE, EACCES) against 'listen' too.
  const e = nodeError(Error, code, `listen ${code}: ${text} ${port === undefined ? address : `${address}:${port}`}`);
  e.errno = errno;
  e.syscall = 'listen';
  (e as { address?: string }).address = address;
  (e as { port?: number }).port = port ?? -1;  // node:net's port for a path
  return e;
}

// An http.Server, so that `server instanceof http.Server` (and net.Server) holds as for
// node:http's servers, and TypeScript takes it wherever an http.Server goes. Everything it
// does as a server is overridden below, and its own connection handling is detached in
// the constructor.
const HttpServerBase = http.Server as unknown as new (options?: object) => http.Server;
/** EventEmitter's add/remove methods, without http.Server's per-event overloads. */
type ListenerMethod = (this: unknown, event: string | symbol, listener: (...args: any[]) => void) => unknown;

/**
 * The options node's own Server constructor takes here (it parses and checks them as
 * node:http does): uniqueHeaders, and what its parser reads when it serves a socket an
 * app hands over itself (foreign sockets, see the constructor).
 */
const BASE_OPTIONS = [
  'uniqueHeaders',
  'connectionsCheckingInterval',
  'maxHeaderSize',
  'insecureHTTPParser',
  'requireHostHeader',
  'joinDuplicateHeaders',
  'rejectNonStandardBodyWrites',
  'highWaterMark',
] as const;
function baseOptions(options: unknown): object {
  const o = options !== null && typeof options === 'object' ? (options as Record<string, unknown>) : {};
  const base: Record<string, unknown> = {
    IncomingMessage: o.IncomingMessage ?? IncomingMessage,
    ServerResponse: o.ServerResponse ?? ServerResponse,
  };
  for (const name of BASE_OPTIONS) if (o[name] !== undefined) base[name] = o[name];
  return base;
}

/** Stops node's connection checks' interval (server[kConnectionsCheckingInterval]), as its close() does. */
function stopConnectionsChecking(server: object): void {
  for (const key of Object.getOwnPropertySymbols(server)) {
    if (key.description === 'http.server.connectionsCheckingInterval') {
      clearInterval((server as Record<symbol, NodeJS.Timeout | undefined>)[key]);
    }
  }
}

/** Whether the socket is one of syshttp's own (a native connection), not an app's. */
function isOwnSocket(socket: unknown): boolean {
  return socket instanceof NodeSocket || socket instanceof UpgradedStream;
}

export class Server extends HttpServerBase implements SocketHost {
  /** node:http's defaults. */
  override timeout = 0;
  declare keepAliveTimeout: number;  // an accessor (constructor): responses announce it
  override headersTimeout = 60_000;
  override requestTimeout = 300_000;
  override maxHeadersCount: number | null = null;
  declare maxRequestsPerSocket: number;  // an accessor too
  declare httpAllowHalfOpen: boolean;  // an accessor too
  declare maxConnections: number;  // undefined until set, as node:net's
  /** node's Server sets it from the options (default true): answers HTTP/1.1 without Host 400. */
  declare requireHostHeader: boolean;

  private readonly options: ServerOptions;
  private readonly Req: typeof http.IncomingMessage;
  private readonly Res: typeof http.ServerResponse;
  private inner: SyshttpServer | null = null;
  private refed = true;
  private readonly sockets = new Map<number, NodeSocket>();
  private info: AddressInfo | null = null;
  private binding = false;
  private sweeper: NodeJS.Timeout | null = null;
  /** Seconds counted by the sweeper: the idle clock of this server's sockets. */
  private sweepClock = 0;
  /** The backend announces connections (ConnectionOpen/Closed records): no idle sweep. */
  private announced = false;
  /** Increases at each listen() and close(): a listen that close() overtook stays quiet. */
  private listenAttempt = 0;
  private readonly onExchangeBound: (ex: Exchange) => void;
  private keepAliveMs = 5000;
  /** The socket whose request the 'request' (or 'checkContinue', 'checkExpectation') listeners have now. */
  private handing: NodeSocket | null = null;
  private maxPerSocket = 0;
  private halfOpen = false;
  /** A socket was handed over (server.emit('connection')): node's connection tracking runs. */
  private foreignTracked = false;
  /** The uniqueHeaders option as node's constructor parsed it (each response gets it). */
  private readonly uniqueHeaders: Set<string> | null;
  /** What node:http gives each ServerResponse: its sockets' high-water mark and rejectNonStandardBodyWrites. */
  private readonly resOptions: { highWaterMark: number; rejectNonStandardBodyWrites: boolean };
  /** node:http's maxHeaderSize, applied as node counts it (onExchange). */
  private maxHeaderBytes = http.maxHeaderSize;

  constructor(requestListener?: RequestListener);
  constructor(options: ServerOptions, requestListener?: RequestListener);
  constructor(options?: ServerOptions | RequestListener, requestListener?: RequestListener) {
    super(baseOptions(options));
    this.uniqueHeaders = ((this as unknown as Record<symbol, unknown>)[kUniqueHeaders] as Set<string> | null | undefined) ?? null;
    const hwm = typeof options === 'object' && options !== null ? options.highWaterMark : undefined;
    this.resOptions = {
      highWaterMark: typeof hwm === 'number' && hwm > 0 ? hwm : getDefaultHighWaterMark(false),
      rejectNonStandardBodyWrites: (this as unknown as { rejectNonStandardBodyWrites?: boolean }).rejectNonStandardBodyWrites === true,
    };
    // node's parser setup on 'connection' and its connection checks on 'listening' are
    // for net.Sockets; syshttp's native side does both for its own connections. A socket
    // an app hands over itself (server.emit('connection', socket), as proxies and
    // protocol sniffers do) never reaches the native side: node's own parser serves it,
    // with this server's options and listeners, as node:http would.
    const nodeConnectionListener = this.listeners('connection')[0] as ((this: Server, socket: unknown) => void) | undefined;
    const nodeConnectionsTracking = this.listeners('listening')[0] as ((this: Server) => void) | undefined;
    this.removeAllListeners('connection');
    this.removeAllListeners('listening');
    // The checks' interval itself runs from 'listening' to close() as node's does (unref'd;
    // it finds nothing to check until a socket is handed over): apps and node's tests read
    // server[kConnectionsCheckingInterval].
    if (nodeConnectionsTracking !== undefined) this.on('listening', nodeConnectionsTracking);
    if (nodeConnectionListener !== undefined) {
      this.on('connection', function (this: Server, socket: unknown) {
        if (isOwnSocket(socket)) return;
        if (!this.foreignTracked) {
          // node's connection list and its timeout checks (headersTimeout, requestTimeout),
          // which its closeAllConnections()/closeIdleConnections() read: for these sockets.
          this.foreignTracked = true;
          nodeConnectionsTracking?.call(this);
        }
        nodeConnectionListener.call(this, socket);
      });
    }
    if (typeof options === 'function') {
      requestListener = options;
      options = {};
    } else if (options === undefined || options === null) {
      options = {};
    } else if (typeof options !== 'object') {
      throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "options" argument must be of type object. Received type ${typeof options}`);
    }
    this.options = options;
    this.Req = options.IncomingMessage ?? IncomingMessage;
    this.Res = options.ServerResponse ?? ServerResponse;
    if (options.keepAliveTimeout !== undefined) this.keepAliveTimeout = validateTimeout(options.keepAliveTimeout, 'keepAliveTimeout');
    // As node:http: headersTimeout defaults to requestTimeout when that is shorter than a
    // minute, and may not exceed it.
    if (options.requestTimeout !== undefined) this.requestTimeout = validateTimeout(options.requestTimeout, 'requestTimeout');
    this.headersTimeout =
      options.headersTimeout !== undefined ? validateTimeout(options.headersTimeout, 'headersTimeout') : Math.min(60_000, this.requestTimeout);
    if (this.requestTimeout > 0 && this.headersTimeout > 0 && this.headersTimeout > this.requestTimeout) {
      throw nodeError(
        RangeError,
        'ERR_OUT_OF_RANGE',
        `The value of "headersTimeout" is out of range. It must be <= requestTimeout. Received ${this.headersTimeout}`,
      );
    }
    if (requestListener !== undefined) this.on('request', requestListener);
    this.onExchangeBound = (ex) => this.onExchange(ex);
  }

  // ---- listening ------------------------------------------------------------------------

  /** The syshttp server underneath (its backend, features, limits), once listening. */
  get syshttp(): SyshttpServer | null {
    return this.inner;
  }

  override listen(...args: unknown[]): this {
    let cb: (() => void) | null = null;
    if (typeof args[args.length - 1] === 'function') cb = args.pop() as () => void;
    let port: unknown = 0;
    let host: string | undefined;
    let backlog: number | undefined;
    let extra: { reusePort?: boolean; ipv6Only?: boolean } = {};
    let path: string | undefined;
    const first = args[0];
    if (first !== undefined && first !== null && typeof first === 'object') {
      const o = first as Record<string, unknown>;
      if (o.fd !== undefined || o.handle !== undefined || o._handle !== undefined) {
        throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', 'listen: a port or a Unix socket path (no fd or handle)');
      }
      if (o.path !== undefined && o.path !== null) {
        if (typeof o.path !== 'string' || o.path === '') {
          throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'options' must have the property "port" or "path". Received ${String(o.path)}`);
        }
        path = o.path;
      }
      port = o.port === undefined || o.port === null ? 0 : o.port;
      host = typeof o.host === 'string' && o.host !== '' ? o.host : undefined;
      backlog = typeof o.backlog === 'number' ? o.backlog : undefined;
      extra = { reusePort: o.reusePort === true, ipv6Only: o.ipv6Only === true };
      if (o.signal !== undefined) {
        const signal = o.signal as AbortSignal;
        if (signal.aborted) {
          queueMicrotask(() => this.close());
        } else {
          signal.addEventListener('abort', () => this.close(), { once: true });
        }
      }
    } else if (typeof first === 'string' && !/^\s*\d+\s*$/.test(first)) {
      path = first;  // listen(path[, backlog][, callback])
      if (typeof args[1] === 'number') backlog = args[1];
    } else if (first !== undefined && first !== null) {
      port = first;
      if (typeof args[1] === 'string') {
        host = args[1] === '' ? undefined : args[1];
        if (typeof args[2] === 'number') backlog = args[2];
      } else if (typeof args[1] === 'number') {
        backlog = args[1];
      }
    }
    const portNumber = path === undefined ? validatePort(port, 'options.port') : 0;
    if (this.info !== null || this.binding) {
      throw nodeError(Error, 'ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
    }
    if (cb !== null) this.once('listening', cb);

    const stopping = this.inner?.stoppingNow ?? null;
    if (stopping !== null && this.inner!.resumeAfterStop()) {
      // The close() before had left no connection: its 'close' comes all the same, as
      // node:net's (it emits once the connections are gone while not listening).
      if (![...this.sockets.values()].some((s) => !s.isGone)) {
        this.closeCalls++;
        process.nextTick(() => this.emit('close'));
      }
    } else if (stopping !== null) {
      // close() stopped only the listeners, as node:http's, but this backend (HTTP.sys)
      // cannot open new ones before the stop is over: listen once it is.
      this.binding = true;
      const attempt = ++this.listenAttempt;
      void stopping.then(() => {
        if (attempt !== this.listenAttempt) return;  // close() came first
        this.binding = false;
        this.listen(...args);
      });
      return this;
    }
    const inner = this.innerServer();
    this.binding = true;
    const attempt = ++this.listenAttempt;
    const promise = inner.listen(
      path !== undefined
        ? { path, backlog: backlog && backlog > 0 ? backlog : 511 }
        : { port: portNumber, host, backlog: backlog && backlog > 0 ? backlog : 511, ...extra },
    );
    // With an address (no name to look up), the bind has happened by now: address() works
    // straight after listen(), as with node:net.
    if (inner.addresses.length > 0) this.info = parseAddress(inner.addresses[inner.addresses.length - 1]);
    promise.then(
      (info) => {
        if (attempt !== this.listenAttempt) return;  // close() came first
        this.binding = false;
        this.info = info;
        this.startSweeper();
        this.emit('listening');
      },
      (err: unknown) => {
        if (attempt !== this.listenAttempt) return;
        this.binding = false;
        this.info = null;
        this.emit('error', listenError(err, path ?? host ?? '::', path === undefined ? portNumber : undefined));
      },
    );
    return this;
  }

  /**
   * The idle time after which the native side closes a kept-alive connection: node's
   * margin past keepAliveTimeout, so a client reusing it at the announced time does not
   * race the close (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER). With a 'timeout' listener, as
   * node's socketOnTimeout, the listener hears of it instead and the connection stays:
   * the socket's own timer says when (finished()), never the native side.
   */
  private nativeKeepAlive(): number {
    const v = this.keepAliveTimeout;
    if (!(v > 0) || !Number.isFinite(v) || this.listenerCount('timeout') > 0) return NEVER;
    return Math.min(Math.ceil(v + KEEP_ALIVE_BUFFER_MS), NEVER);
  }

  private innerServer(): SyshttpServer {
    if (this.inner !== null) return this.inner;
    const o = this.options;
    const ms = (v: number): number => (v > 0 && Number.isFinite(v) ? Math.min(Math.ceil(v), NEVER) : NEVER);
    const limits: Limits = {
      // node:http has no body limit and no default header count limit below its size limit.
      maxRequestBodySize: null,
      // node:http (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER) closes an idle connection 1 s
      // after the keep-alive time its responses announce, so that a client reusing it at
      // the announced limit does not race the close.
      keepAliveTimeout: this.nativeKeepAlive(),
      // node:http's requestTimeout covers the head too: with no headersTimeout (0), or a
      // longer one set after construction, it is what bounds a slow head.
      requestHeadersTimeout: Math.min(ms(this.headersTimeout), ms(this.requestTimeout)),
    };
    // node:http's maxHeaderSize (default: its --max-http-header-size, 16 KiB) counts the
    // target and the fields' names and values, not the separators syshttp's limit counts:
    // the native limit leaves room for those, and onExchange applies node's count.
    this.maxHeaderBytes = typeof o.maxHeaderSize === 'number' ? o.maxHeaderSize : http.maxHeaderSize;
    limits.maxRequestHeadersTotalSize = Math.min(1 << 20, 2 * this.maxHeaderBytes + 4096);
    // node:http takes any number of fields within maxHeaderSize and keeps the first
    // maxHeadersCount of them (initRequest); syshttp's native default would answer 431.
    limits.maxRequestHeaderCount = 10_000;
    if (typeof this.maxConnections === 'number' && this.maxConnections > 0) limits.maxConcurrentConnections = this.maxConnections;
    const options: SyshttpServerOptions = { limits: { ...limits, ...(o.limits ?? {}) } };
    if (o.backend !== undefined) options.backend = o.backend;
    const inner = new SyshttpServer(options);
    inner.exchangeHandler = this.onExchangeBound;
    inner.keepAliveFields = this.keepAliveFields();
    inner.answerUnusedConnectionTimeout = true;
    inner.nodeErrorResponses = true;
    // A request without Host is answered here, as node:http answers it (onExchange).
    inner.requireHost = false;
    inner.connectTunnels = true;  // CONNECT: 'connect' with the tunnel
    inner.llhttpMethods = true;  // as node's parser: an unknown method at its first wrong byte
    inner.hostMustMatchTarget = false;  // a proxy-style request (GET http://other/ with Host: us) is taken, as node's
    inner.setDeferClientErrors(this.listenerCount('clientError') > 0);
    inner.setAllowHalfOpen(this.halfOpen);
    // The Linux backends announce each connection at accept and at its end, so that
    // 'connection' comes before any request (as node:net's) and idle sockets close with
    // their connections. (HTTP.sys has no accept: there a socket appears with its first
    // request and the sweeper below closes idle ones.)
    inner.connectionHandler = {
      opened: (id, endpoints) => this.connectionOpened(id, endpoints),
      closed: (id, bytesRead, bytesWritten) => this.connectionClosed(id, bytesRead, bytesWritten),
      input: (id, chunk) => this.sockets.get(id)?.receivedCopy(chunk),
    };
    inner.on('error', (err: unknown) => this.emit('error', err));
    inner.on('clientError', (_err: unknown, info: ClientErrorInfo) => this.onClientError(info));
    if (!this.refed) inner.unref();
    this.inner = inner;
    return inner;
  }

  /**
   * node:http announces keep-alive on every kept-alive response: "Connection: keep-alive",
   * and with a keepAliveTimeout "Keep-Alive: timeout=<seconds>" (", max=<n>" with a
   * maxRequestsPerSocket), as they are when listen() is called.
   */
  private keepAliveFields(): string {
    let fields = 'Connection: keep-alive\r\n';
    if (this.keepAliveTimeout > 0) {
      const max = this.maxRequestsPerSocket > 0 ? `, max=${this.maxRequestsPerSocket}` : '';
      fields += `Keep-Alive: timeout=${Math.floor(this.keepAliveTimeout / 1000)}${max}\r\n`;
    }
    return fields;
  }

  /** As node:net's: `{ address, family, port }`, or the path for a Unix socket. */
  override address(): AddressInfo | string | null {
    const info = this.info;
    return info !== null && info.family === 'unix' ? info.address : info;
  }

  static {
    // keepAliveTimeout and maxRequestsPerSocket are accessors: kept-alive responses
    // announce both (keepAliveFields), so a change after listen() reaches the native side,
    // as node:http reads them at each response. On the prototype, not each instance:
    // turning the instance's data properties (node's constructor sets them) into accessors
    // would leave V8 a dictionary-mode object, a hash lookup for every field read.
    Object.defineProperties(Server.prototype, {
      keepAliveTimeout: {
        get(this: Server): number {
          return this.keepAliveMs;
        },
        set(this: Server, v: number) {
          this.keepAliveMs = v;
          // What responses announce is what the native side applies (with node's margin).
          this.inner?.setKeepAliveFields(this.keepAliveFields(), this.nativeKeepAlive());
        },
        enumerable: true,
        configurable: true,
      },
      httpAllowHalfOpen: {
        // node:http reads it when a client ends its side: then what it asked before its
        // end is still answered (the last response closes) instead of aborted.
        get(this: Server): boolean {
          return this.halfOpen;
        },
        set(this: Server, v: boolean) {
          this.halfOpen = v === true;
          this.inner?.setAllowHalfOpen(this.halfOpen);
        },
        enumerable: true,
        configurable: true,
      },
      maxRequestsPerSocket: {
        get(this: Server): number {
          return this.maxPerSocket;
        },
        set(this: Server, v: number) {
          this.maxPerSocket = v;
          this.inner?.setKeepAliveFields(this.keepAliveFields());
        },
        enumerable: true,
        configurable: true,
      },
    });
  }

  private closeCalls = 0;
  /** A 'timeout' listener is there (kept up to date by newListener/removeListener). */
  private timeoutListened = false;
  /**
   * As node:http's: stops accepting and closes idle connections; the others serve on
   * (keep-alive included) until they close on their own, then 'close' is emitted. On
   * HTTP.sys, in-flight requests finish with Connection: close instead.
   */
  override close(callback?: (err?: Error) => void): this {
    const inner = this.inner;
    const wasListening = this.info !== null || this.binding;
    if (typeof callback === 'function') {
      if (!wasListening) this.once('close', () => callback(nodeError(Error, 'ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      else this.once('close', callback);
    }
    // As node:http's close(): through the (overridable) closeIdleConnections(), and the
    // connection checks' interval (for sockets handed over) stops.
    this.closeIdleConnections();
    stopConnectionsChecking(this);
    this.info = null;
    this.binding = false;
    this.listenAttempt++;
    this.stopSweeper();
    if (inner === null || !wasListening) {
      // As node:net's: 'close' once no connection is left; while an earlier close()'s
      // stop still waits for some, it comes with that.
      if (inner?.stoppingNow == null) process.nextTick(() => this.emit('close'));
      return this;
    }
    // With the connections announced (Linux), they are left as node:http leaves them;
    // otherwise stop() finishes them (idle ones at once, busy ones after their response).
    // A listen() straight after undoes the native stop (resumeAfterStop): as node:net's,
    // 'close' then waits for a later close() and the connections' end.
    const closing = ++this.closeCalls;
    inner.stop({ timeout: 0x7fffffff, keepConnections: this.announced }).then(() => {
      if (closing !== this.closeCalls) return;
      for (const socket of [...this.sockets.values()]) this.connectionAborted(socket);
      this.emit('close');
    });
    return this;
  }

  /** Closes every connection (in-flight requests are aborted), as destroying their sockets. */
  override closeAllConnections(): void {
    if (this.foreignTracked) super.closeAllConnections();  // sockets handed over: node's list
    for (const socket of [...this.sockets.values()]) {
      // One with an upgrade handed out is the upgrade listener's, as node's upgraded
      // socket leaves the server's connection list.
      if (socket.heldUpgrade === null) socket.destroy();
    }
    // Connections without a socket here (HTTP.sys: none before their first request) too.
    if (!this.announced) this.inner?.native.closeAll();
  }

  /** Closes the connections with no request in flight that have sent one (as node:http: not fresh ones). */
  override closeIdleConnections(): void {
    if (this.foreignTracked) super.closeIdleConnections();  // sockets handed over: node's list
    for (const socket of [...this.sockets.values()]) {
      // As node's: a connection whose requests are all in and answered, end() called (its
      // bytes still go out first), is idle; one that has sent nothing yet is not.
      // The connection whose request is being handed out is not idle either: node's parser
      // is still in it (its message completes after the 'request' listeners return).
      if (socket.requests > 0 && socket !== this.handing && socket.heldUpgrade === null && socket.active.every(isAnswered)) socket.destroy();
    }
  }

  override setTimeout(msecs?: number | ((socket: net.Socket) => void), callback?: (socket: net.Socket) => void): this {
    if (typeof msecs === 'function') {
      callback = msecs;
      msecs = undefined;
    }
    this.timeout = msecs ?? 0;
    if (callback !== undefined) this.on('timeout', callback);
    return this;
  }

  // An app's 'clientError' and 'timeout' listeners change what the native side does. The
  // methods that add and remove listeners say so (once() and its wrappers' removal go
  // through them; on/addListener/prependListener/removeListener/off: after the class),
  // rather than 'newListener'/'removeListener' listeners of the server's own: eventNames()
  // shows the app's alone, and removeAllListeners() cannot drop them.
  override removeAllListeners(event?: string | symbol): this {
    // (EventEmitter tells "all events" by the argument count)
    if (event === undefined) {
      super.removeAllListeners();
      this.listenersChanged('clientError', false);
      this.listenersChanged('timeout', false);
    } else {
      super.removeAllListeners(event);
      this.listenersChanged(event, false);
    }
    return this;
  }

  /** @internal */
  listenersChanged(event: string | symbol, added: boolean): void {
    if (event === 'clientError') {
      // While a 'clientError' listener is there, refused heads are left to it (node:http
      // gives it a live socket); without one the native side answers them at once.
      this.inner?.setDeferClientErrors(added || this.listenerCount('clientError') > 0);
    } else if (event === 'timeout') {
      if (!added) {
        this.timeoutListened = this.listenerCount('timeout') > 0;
        this.inner?.setKeepAliveFields(this.keepAliveFields(), this.nativeKeepAlive());
        return;
      }
      this.timeoutListened = true;
      process.nextTick(() => {
        this.inner?.setKeepAliveFields(this.keepAliveFields(), this.nativeKeepAlive());
        // Connections idle already: their keep-alive end is the listener's from now.
        if (this.keepAliveTimeout > 0) {
          for (const socket of this.sockets.values()) {
            if (socket.active.length === 0 && socket.requests > 0 && !socket.keepAliveTimeoutSet && !socket.timeout) {
              socket.setTimeout(this.keepAliveTimeout + KEEP_ALIVE_BUFFER_MS);
              socket.keepAliveTimeoutSet = true;
            }
          }
        }
      });
    }
  }

  /** Whether the listening server keeps the event loop alive, as net.Server's. */
  override ref(): this {
    this.refed = true;
    this.inner?.ref();
    return this;
  }
  override unref(): this {
    this.refed = false;
    this.inner?.unref();
    return this;
  }

  override getConnections(callback: (err: Error | null, count: number) => void): this {
    const count = this.inner?.connectionCount ?? 0;
    process.nextTick(callback, null, count);
    return this;
  }

  override async [Symbol.asyncDispose](): Promise<void> {
    if (!this.listening) return;
    await new Promise<void>((resolve) => this.close(() => resolve()));
  }

  // ---- requests ---------------------------------------------------------------------------

  private onExchange(ex: Exchange): void {
    const C = ex.host.constants;
    if ((ex.flags & C.REQUEST_UPGRADE) !== 0) {
      const event = ex.method === 'CONNECT' ? 'connect' : 'upgrade';
      // node:http: 'connect' with the tunnel; with no listener the connection is destroyed.
      if (event === 'connect' && this.listenerCount('connect') === 0) {
        this.abortConnection(ex.connection);
        return;
      }
      if (this.listenerCount(event) > 0) {
        if (this.upgrade(ex, event)) return;
        // Responses to requests before it are still going (pipelined). node hands the
        // connection over at once: so here, with a stream whose writes wait until they are
        // out (nothing is parsed after an upgrade head meanwhile), or, where it cannot be
        // held (HTTP.sys), the event then. Otherwise, a plain request.
        const ahead = this.sockets.get(ex.connection);
        if (ahead !== undefined && ahead.active.length > 0 && ahead.afterResponses === null) {
          const held = ex.heldUpgrade();
          if (held === null) {
            ahead.afterResponses = () => {
              if (!this.upgrade(ex, event)) this.abortConnection(ex.connection);
            };
            return;
          }
          ahead.heldUpgrade = held.stream;
          const peeked = held.head.length;
          ahead.afterResponses = () => {
            ahead.heldUpgrade = null;
            this.attachHeld(ex, held.stream, peeked, ahead);
          };
          this.emitUpgrade(ex, event, held.stream, held.head, false);
          return;
        }
      }
    }
    let socket = this.sockets.get(ex.connection);
    const isNew = socket === undefined;
    if (socket === undefined) {
      socket = this.newSocket(ex.connection, new ConnectionFeature(ex));
    } else if (socket.keepAliveTimeoutSet) {
      // Back from keep-alive idling: the server's timeout again (node's onParserExecute).
      socket.keepAliveTimeoutSet = false;
      socket.setTimeout(this.timeout);
    } else {
      socket.touch();
    }
    ex.observer = socket;
    if (isNew) this.emit('connection', socket);
    if (socket.refused) {
      // Pipelined behind a refused one: node:http's parser never got this far.
      answerClosing(ex, 400);
      return;
    }
    if (ex.headBytes >= this.maxHeaderBytes) {
      this.refuse(ex, socket, 431);  // HPE_HEADER_OVERFLOW
      return;
    }
    // node:http's parser takes only the methods it knows (http.METHODS): any other gets
    // its 400 (HPE_INVALID_METHOD), where syshttp's own API takes any token (RFC 9110 §9).
    const method = ex.method;
    if (method !== 'GET' && !KNOWN_METHODS.has(method)) {
      this.refuse(ex, socket, 400, 'HPE_INVALID_METHOD');
      return;
    }

    const flags = ex.flags;
    const req = new this.Req(socket as never) as Req;
    socket.parsedLast = req;
    const maxFields = this.maxHeadersCount;
    initRequest(req, ex, method, (flags & C.REQUEST_HAS_BODY) !== 0, (flags & C.REQUEST_HTTP10) !== 0, fieldLimit(maxFields), socket.strings);
    if (this.options.joinDuplicateHeaders === true) req.joinDuplicateHeaders = true;
    const res = new (this.Res as unknown as ResponseClass)(req, this.resOptions) as unknown as Res;
    initResponse(res as never, ex);
    if (this.uniqueHeaders !== null) (res as unknown as Record<symbol, unknown>)[kUniqueHeaders] = this.uniqueHeaders;
    res.socket = socket;
    if (socket._httpMessage === null) {
      socket._httpMessage = res;
      if (socket.closeListenerAdded) socket.keepLast('close', onServerResponseClose);
    }
    socket.active.push(res);
    res[kStarted] = this.sweepClock;
    // The native side decides whether the connection stays open (HTTP/1.0 keep-alive too).
    res.shouldKeepAlive = (flags & C.REQUEST_KEEP_ALIVE) !== 0;
    (res as unknown as { _keepAliveTimeout: number })._keepAliveTimeout = this.keepAliveTimeout;  // as node's parserOnIncoming
    if ((flags & C.REQUEST_NO_HOST) !== 0 && this.requireHostHeader !== false) {
      // HTTP/1.1 without Host (RFC 9112 §3.2): node:http's answer, a response rather than
      // a protocol error ('clientError'), and nothing for the app. (An upgrade with a
      // listener went to it above, as node:http's does.)
      res.writeHead(400, ['Connection', 'close']);
      res.end();
      return;
    }
    socket.requests++;
    if (this.maxRequestsPerSocket > 0 && socket.requests >= this.maxRequestsPerSocket) {
      if (socket.requests > this.maxRequestsPerSocket) {
        // Beyond the limit: never the app's; 'dropRequest', then node's 503 and the close.
        this.emit('dropRequest', req, socket);
        res.shouldKeepAlive = false;
        res.setHeader('Connection', 'close');
        res.writeHead(503);
        res.end();
        return;
      }
      // The last one: as node:http documents for maxRequestsPerSocket, its response says
      // Connection: close but the connection stays; a request after it gets the 503.
      // HTTP.sys closes a connection whose response says close: there it does close.
      if (this.announced) {
        res[kLimitReached] = true;
      } else {
        res.shouldKeepAlive = false;
        res.setHeader('Connection', 'close');
      }
    }

    this.handing = socket;
    try {
      if ((flags & C.REQUEST_EXPECT_CONTINUE) !== 0) {
        res._expect_continue = true;
        if (this.listenerCount('checkContinue') > 0) this.emit('checkContinue', req, res);
        else this.emit('request', req, res);  // the 100 goes out when the body is read
        return;
      }
      const expect = expectation(req.rawHeaders);
      if (expect !== undefined) {
        if (this.listenerCount('checkExpectation') > 0) {
          this.emit('checkExpectation', req, res);
        } else {
          res.writeHead(417);
          res.end();
        }
        return;
      }
      this.emit('request', req, res);
      if (socket.bodiesFlow) flowUnreadBody(req);  // see NodeSocket#listenForPause
    } catch (err) {
      // As with node:http, a throwing listener is an uncaught exception, raised outside
      // the native batch so the other requests of the batch are still handled.
      process.nextTick(rethrow, err);
    } finally {
      this.handing = null;
    }
  }

  /**
   * A request node:http's parser would have refused (its code: `parseCode`, or the
   * status's): the requests after it are refused too. As with node:http, a 'clientError'
   * listener gets a live socket and may write its own answer (a raw write takes the
   * request over, see hijack()) or destroy it; if it does neither, or it cannot be given
   * the socket (responses ahead of it are not out yet), the server answers `status`.
   */
  private refuse(ex: Exchange, socket: NodeSocket, status: number, parseCode?: string): void {
    socket.refused = true;
    const detail = headDetail(ex, parseCode, this.maxHeaderBytes);
    if (this.listenerCount('clientError') === 0) {
      answerClosing(ex, status);
      this.failSocket(socket, clientErrorFor(status, parseCode, detail));
    } else if (socket.active.length > 0) {
      // Once the responses ahead are out (finished); a refusal is the connection's last word.
      socket.afterResponses = () => this.refuseNow(ex, socket, status, clientErrorFor(status, parseCode, detail));
    } else {
      // After this batch: requests pipelined behind it are refused by then, so a raw
      // write of the listener can take the connection over (hijack).
      queueMicrotask(() => this.refuseNow(ex, socket, status, clientErrorFor(status, parseCode, detail)));
    }
  }

  private refuseNow(ex: Exchange, socket: NodeSocket, status: number, err: Error): void {
    if (ex.ended || ex.aborted) return;
    socket.refusedExchange = { ex, status };
    this.emitClientError(err, socket);
    socket.refusedExchange = null;
    if (socket.raw === null && !socket.destroyed && !ex.ended && !ex.aborted) answerClosing(ex, status);
  }

  private connectionOpened(id: number, endpoints: SocketEndpoints): void {
    this.announced = true;
    if (this.sockets.has(id)) return;
    const socket = this.newSocket(id, endpoints);
    socket.lastUsed = this.sweepClock;
    try {
      this.emit('connection', socket);
    } catch (err) {
      process.nextTick(rethrow, err);
    }
  }

  private connectionClosed(id: number, bytesRead: number, bytesWritten: number): void {
    const socket = this.sockets.get(id);
    if (socket === undefined) return;
    socket.finalCounts(bytesRead, bytesWritten);
    if (socket.active.length > 0) this.connectionAborted(socket);
    else socket.closed_();
  }

  private newSocket(id: number, endpoints: SocketEndpoints): NodeSocket {
    const socket = new NodeSocket(this, id, endpoints, this.resOptions.highWaterMark);
    socket.server = this;
    // node:http always listens for socket errors (res.destroy(err) passes err to the socket),
    // and for its close: the parser is freed, the response on it closes.
    socket.on('error', socketOnError);
    socket.on('close', socketOnClose);
    socket.on('close', onServerResponseClose);
    socket.closeListenerAdded = false;  // (its own two)
    socket.on('data', socketOnData);
    // node:net's server options, applied at accept as its onconnection does (Nagle is off
    // natively from the accept: noDelay false turns it back on).
    if (this.options.noDelay === false) socket.setNoDelay(false);
    if (this.options.keepAlive === true) socket.setKeepAlive(true, Number(this.options.keepAliveInitialDelay ?? 0));
    this.sockets.set(id, socket);
    if (this.timeout > 0) socket.setTimeout(this.timeout);
    return socket;
  }

  /**
   * node's 'clientError' for a request head the native side refused (400, 408, 414, 431,
   * 501, 505). With no response pending on the connection it was not answered
   * (setDeferClientErrors): the listener gets a live socket over the connection's raw
   * stream and writes its own answer. Behind pipelined responses the native side has
   * answered it and closes after that answer: the event waits for those responses (the
   * listener could otherwise cut them off) and gets a socket already destroyed, so
   * handlers that check `socket.writable` first (node's documented pattern) stand down.
   */
  private onClientError(info: ClientErrorInfo): void {
    if (this.listenerCount('clientError') === 0) {
      // Left to a listener that has gone since: node's own answer, then the close.
      const raw = info.raw;
      if (raw !== undefined) answerRefusedHead(raw, info.status, true);
      const socket = this.sockets.get(info.connectionId);
      if (socket !== undefined && !this.answerNow(socket, info)) this.failSocket(socket, refusedHeadError(info));
      return;
    }
    let socket = this.sockets.get(info.connectionId);
    if (socket === undefined) {
      // A connection whose first request head failed: node:http had announced it at accept.
      socket = this.newSocket(info.connectionId, info);
      this.emit('connection', socket);
    }
    if (info.raw !== undefined) {
      // Not answered: as with node:http, the listener gets a live socket and writes its
      // own answer (lib/server.ts closes a connection it leaves alone).
      const raw = info.raw;
      socket.raw = raw;
      adoptRaw(socket, raw, null);
      const err = refusedHeadError(info) as NodeJS.ErrnoException;
      this.emitClientError(err, socket);
      // node's parser stays failed: while the listener has not answered, each later chunk
      // is another 'clientError' with the same code and that chunk as its rawPacket.
      const untouched = (): boolean => raw.bytesWritten === 0 && !raw.writableEnded && !raw.destroyed && !socket.destroyed;
      if (untouched() && String(err.code).startsWith('HPE_')) {
        const again = (chunk: Buffer): void => {
          if (!untouched()) {
            raw.removeListener('data', again);
            return;
          }
          const next = clientErrorFor(info.status, err.code, { bytesParsed: 0, rawPacket: chunk });
          try {
            this.emit('clientError', next, socket);
          } catch (e) {
            process.nextTick(rethrow, e);
          }
        };
        raw.on('data', again);
      }
      return;
    }
    this.clientErrorOn(socket, refusedHeadError(info));
  }

  /**
   * node's socketOnError where nobody listens for 'clientError', behind a request whose
   * response has not started: node writes its answer at once, ahead of that response,
   * and destroys the socket (the request is aborted). Here for one such request (the
   * connection is taken over, dropping the native answer queued behind it); with more in
   * flight, or one already answering, false: failSocket's way.
   */
  private answerNow(socket: NodeSocket, info: ClientErrorInfo): boolean {
    if (socket.active.length !== 1) return false;
    const res = socket.active[0] as unknown as Res;
    const ex = res[kExchange];
    if (ex.started || ex.ended || ex.aborted) return false;
    let stream: Duplex;
    try {
      stream = ex.hijack();
    } catch {
      return false;  // not now (HTTP.sys, or the native side holds more): as before
    }
    stream.on('error', noop);
    answerRefusedHead(stream, info.status, true);
    failNow(socket, refusedHeadError(info));
    this.connectionAborted(socket);  // the request's 'aborted' and 'close', the response's, the socket's
    return true;
  }

  /**
   * node's socketOnError where nobody listens for 'clientError': the socket is destroyed
   * with the error (its 'error', then 'close'). Here the native side has answered and
   * closes after the responses ahead of the refused head: the 'error' comes once those
   * are out, the 'close' with the connection's end. (The socket stays known until then,
   * so requests pipelined behind the refused one are refused too, never the app's.)
   */
  private failSocket(socket: NodeSocket, err: Error): void {
    whenResponsesOut(socket, () => failNow(socket, err));
  }

  /** 'clientError' for a connection the native side closes after its answer: now, or once the responses ahead of it are out. */
  private clientErrorOn(socket: NodeSocket, err: Error): void {
    whenResponsesOut(socket, () => {
      socket.closed_();
      this.emitClientError(err, socket);
    });
  }

  /** SocketHost: a raw write hands the connection's one unanswered request over. */
  hijack(socket: NodeSocket): Duplex | null {
    const refused = socket.refusedExchange;
    if (refused === null && socket.active.length !== 1) return null;
    const res = refused === null ? (socket.active[0] as unknown as Res) : null;
    let stream: Duplex;
    try {
      stream = (refused === null ? res![kExchange] : refused.ex).hijack();
    } catch {
      // Not now (HTTP.sys cannot; or requests after it are still the app's): a refused
      // request gets the server's answer, and the listener's write fails.
      if (refused !== null && !refused.ex.ended && !refused.ex.aborted) answerClosing(refused.ex, refused.status);
      return null;
    }
    // The response will never finish: the connection is the app's now.
    socket.active.length = 0;
    socket._httpMessage = null;
    adoptRaw(socket, stream, res);
    return stream;
  }

  private emitClientError(err: Error, socket: NodeSocket): void {
    // As node's socketOnError: the socket's later errors (a listener's destroy(err)) are
    // not reported again.
    ignoreLaterErrors(socket);
    try {
      this.emit('clientError', err, socket);
    } catch (e) {
      process.nextTick(rethrow, e);
    }
  }

  /**
   * node's 'upgrade' and 'connect': the connection leaves HTTP with nothing written for this request;
   * the listener gets the request, the connection as a Duplex of raw bytes (it writes its
   * own 101) and the bytes that came after the head so far (later ones arrive on the stream).
   */
  private upgrade(ex: Exchange, event: 'upgrade' | 'connect'): boolean {
    let stream: Duplex;
    let head: Buffer;
    try {
      // What the client sent after the head so far is the listener's `head`, as node's.
      ({ stream, head } = ex.detachWithHead());
    } catch {
      return false;  // not upgradable now (an earlier response is still going): a plain request
    }
    const old = this.sockets.get(ex.connection);
    if (old !== undefined) {
      this.sockets.delete(ex.connection);
      old.closed_();
    }
    this.emitUpgrade(ex, event, stream, head, old === undefined);
    return true;
  }

  /**
   * A held upgrade's turn (the responses ahead of it are out): its connection is its own
   * now. If the connection is closing instead (a response ahead said close) or gone, the
   * stream closes with it, as node's upgraded socket does.
   */
  private attachHeld(ex: Exchange, stream: UpgradedStream, peeked: number, socket: NodeSocket): void {
    if (stream.destroyed) return;  // its destroy() closed the connection already
    let head: Buffer;
    try {
      head = ex.detachWithHead(stream).head;
    } catch {
      stream.connectionClosed(true);
      this.abortConnection(ex.connection, true);
      return;
    }
    if (this.sockets.get(ex.connection) === socket) this.sockets.delete(ex.connection);
    socket.closed_();
    stream.attach(head.subarray(peeked));
  }

  private emitUpgrade(ex: Exchange, event: 'upgrade' | 'connect', stream: Duplex, head: Buffer, isNewConnection: boolean): void {
    (stream as unknown as { server: unknown }).server = this;
    (stream as unknown as { parser: null }).parser = null;  // node frees its parser before 'upgrade'
    if (isNewConnection) this.emit('connection', stream);
    const req = new this.Req(stream as never) as Req;
    const maxFields = this.maxHeadersCount;
    initRequest(req, ex, ex.method, false, (ex.flags & ex.host.constants.REQUEST_HTTP10) !== 0, fieldLimit(maxFields), null);
    req.upgrade = true;
    try {
      this.emit(event, req, stream, head);
    } catch (err) {
      process.nextTick(rethrow, err);
    }
  }

  /** @internal node's resOnFinish */
  finished(res: Res): void {
    if (res.socket === null) return;  // done already ('finish' emitted again)
    const ex = res[kExchange];
    const socket = ex.observer as NodeSocket;
    const active = socket.active;
    if (active[0] === res) active.shift();
    else {
      const i = active.indexOf(res);
      if (i !== -1) active.splice(i, 1);
    }
    socket._httpMessage = active.length > 0 ? active[0] : null;
    if (active.length > 0 && socket.closeListenerAdded) socket.keepLast('close', onServerResponseClose);
    // What a queued response held is the native side's now; the next one's turn has come
    // (node's _flushOutput). Either way node's outputSize is 0 by its 'finish'.
    res.outputSize = 0;
    if (active.length > 0) (active[0] as Res).outputSize = 0;
    res.socket = null;
    const req = res.req as unknown as Req & { _dump(): void; _readableState: { resumeScheduled: boolean } };
    if (!req._consuming && !req._readableState.resumeScheduled && !req.destroyed) {
      if ((req as unknown as { _eventsCount: number })._eventsCount === 0) {
        req.complete = true;  // nobody listens at all (most GETs): the short way of the below
      } else if (!listensForBody(req)) {
        // Nobody reads it: what node's _dump leads to ('close'), without the flow, and
        // without even that when nobody listens (nothing could tell the difference).
        req.complete = true;
        if (req.listenerCount('close') > 0 || req.listenerCount('error') > 0 || req.listenerCount('aborted') > 0) {
          req.push(null);  // ended, as node's dump leaves it by its 'close'
          req.destroy();
        }
      } else {
        req._dump();
      }
    }
    if (socket.parsedLast === req) {
      // node's clearIncoming: the connection lets the request go once it has ended too.
      // (A request nobody reads, left unflowing above, never ends: let go now.)
      if (req.readableEnded || req.destroyed || (req.readableFlowing === null && !req._consuming)) socket.parsedLast = null;
      else req.once('end', clearIncoming);
    }
    process.nextTick(emitCloseNT, res);  // as node's resOnFinish: a tick after 'finish'
    if (ex.aborted) return;
    if (active.length === 0 && socket.afterResponses !== null) {
      // A refused or bad head was pipelined behind this response: its 'clientError' now.
      const tell = socket.afterResponses;
      socket.afterResponses = null;
      tell();
    } else if (!res.shouldKeepAlive || ex.closeAsked) {
      // The native side closes the connection after this response.
      if (active.length === 0) socket.closed_(true);
    } else {
      socket.lastUsed = this.sweepClock;
      if ((socket.timeout || this.timeoutListened) && active.length === 0 && this.keepAliveTimeout > 0) {
        // Idle between requests: node:http gives a socket with a timeout the keep-alive
        // time instead (plus its 1 s margin), so server.setTimeout() does not fire on it
        // before the connection's keep-alive close; a 'timeout' listener hears of that
        // close in its place (nativeKeepAlive).
        socket.setTimeout(this.keepAliveTimeout + KEEP_ALIVE_BUFFER_MS);
        socket.keepAliveTimeoutSet = true;
      } else {
        socket.touch();
      }
    }
  }

  // ---- SocketHost -------------------------------------------------------------------------

  /** @internal */
  connectionAborted(socket: NodeSocket): void {
    const held = socket.heldUpgrade;
    if (held !== null) {
      // An upgrade held behind the responses: the connection went before its turn (the
      // peer's reset, or the server's own close): the stream closes, without an error
      // for a listener that never had the connection.
      socket.heldUpgrade = null;
      socket.afterResponses = null;
      held.connectionClosed(true);
    }
    const active = socket.active.slice();
    socket.active.length = 0;
    const err = connReset();
    for (const r of active) {
      const res = r as unknown as Res;
      settlePending(res as never, Object.assign(new Error('Cannot call write after a stream was destroyed'), { code: 'ERR_STREAM_DESTROYED' }));
      const req = res.req as unknown as Req;
      if (!req.destroyed && !(req.complete && req.readableEnded)) req.destroy(err);
      else if (!req.destroyed) req.destroy();
      // res.socket stays, destroyed (writable false), as node:http leaves it: on-finished
      // (Express's sendFile, send) tells an aborted response by `!socket.writable`.
      // The one on the socket closes from the socket's 'close' (onServerResponseClose,
      // after the listeners added before it took the socket, as node's); those queued
      // behind it first.
      if (res !== socket._httpMessage) process.nextTick(emitCloseNT, res);
    }
    socket.closed_();
  }

  /** @internal */
  exchangeDrained(socket: NodeSocket, ex: Exchange): void {
    for (const r of socket.active) {
      const res = r as unknown as Res;
      if (res[kExchange] !== ex) continue;
      settlePending(res as never, null);
      res[kFull] = false;
      if (res[kNeedDrain]) {
        res[kNeedDrain] = false;
        res.emit('drain');
      }
      return;
    }
  }

  /** @internal */
  socketClosed(socket: NodeSocket): void {
    if (this.sockets.get(socket.id) === socket) this.sockets.delete(socket.id);
  }

  /** @internal node's socketOnTimeout */
  socketTimedOut(socket: NodeSocket): void {
    socket.emit('timeout');
    const res = socket._httpMessage as Res | null;
    const req = res?.req as Req | undefined;
    const reqTimeout = req !== undefined && !req.complete && req.emit('timeout', socket);
    const resTimeout = res !== null && res !== undefined && res.emit('timeout', socket);
    const serverTimeout = this.emit('timeout', socket);
    if (!reqTimeout && !resTimeout && !serverTimeout) socket.destroy();
  }

  /** @internal */
  mirrorInput(id: number, paused: boolean): void {
    this.inner?.native.mirrorInput(id, paused);
  }

  /** @internal As net.Socket ignores its handle's answer, so does this (ENOTSUP on HTTP.sys). */
  setNoDelay(id: number, on: boolean): void {
    this.inner?.native.setNoDelay(id, on);
  }

  /** @internal */
  setKeepAlive(id: number, delaySeconds: number): void {
    this.inner?.native.setKeepAlive(id, delaySeconds >= 0, Math.max(0, delaySeconds));
  }

  /** @internal */
  refConnection(id: number, ref: boolean): void {
    this.inner?.native.setConnectionRef(id, ref);
  }

  /** @internal node's parser settings, for socket.parser (its connectionListener's). */
  parserSettings(): { joinDuplicateHeaders: boolean; maxHeaderPairs: number } {
    const max = this.maxHeadersCount;
    return { joinDuplicateHeaders: this.options.joinDuplicateHeaders === true, maxHeaderPairs: typeof max === 'number' ? max << 1 : 2000 };
  }

  /** @internal */
  byteCounts(id: number): [number, number, number] | undefined {
    return this.inner?.native.byteCounts(id);
  }

  /** @internal */
  abortConnection(id: number, flushInFlight = false, reset = false): void {
    // As node's socket.destroy(): a plain close (FIN); a reset for resetAndDestroy().
    this.inner?.native.abort(id, reset, flushInFlight && !reset);
  }

  /** @internal A request whose body failed natively and that nobody handled: its status, then a close. */
  bodyFailed(ex: Exchange, status: number): void {
    const socket = ex.observer as NodeSocket;
    for (const r of socket.active) {
      const res = r as unknown as Res;
      if (res[kExchange] === ex) {
        this.answerAndClose(socket, res, status);
        return;
      }
    }
  }

  private requestTimedOut(socket: NodeSocket, res: Res): void {
    // Answered here (raw socket writes are not supported), then told as node:http tells it.
    this.answerAndClose(socket, res, 408);
    if (this.listenerCount('clientError') > 0) this.emitClientError(clientErrorFor(408), socket);
  }

  /** Answers `status` with Connection: close where nothing was sent yet (else resets), and the connection is over. */
  private answerAndClose(socket: NodeSocket, res: Res, status: number): void {
    const ex = res[kExchange];
    if (!ex.started) answerClosing(ex, status);
    else ex.abort();
    this.connectionAborted(socket);
  }

  // On HTTP.sys, sockets are known from their first request and the native side reports a
  // connection's end only when something was in flight: an idle socket older than the
  // keep-alive timeout is closed natively by then, and gets its 'close' here. The sweeper
  // also enforces requestTimeout (every backend).
  private startSweeper(): void {
    if (this.sweeper !== null) return;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }
  private stopSweeper(): void {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
  }
  private sweep(): void {
    const clock = ++this.sweepClock;
    const idleTicks = Math.ceil(Math.min(this.keepAliveTimeout > 0 ? this.keepAliveTimeout + KEEP_ALIVE_BUFFER_MS : NEVER, NEVER) / SWEEP_MS) + 1;
    if (!this.announced) {
      for (const socket of [...this.sockets.values()]) {
        if (socket.active.length === 0 && clock - socket.lastUsed > idleTicks) socket.closed_();
      }
    }
    // requestTimeout, as node's connection check does it: a request whose body is being
    // received for longer gets 408 (or, once its response started, a reset) and the
    // connection closes. (A body nobody reads yet is not received: its clock waits.)
    if (this.requestTimeout > 0) {
      const limit = Math.ceil(this.requestTimeout / SWEEP_MS);
      for (const socket of [...this.sockets.values()]) {
        for (const r of socket.active) {
          const res = r as unknown as Res;
          const ex = res[kExchange];
          if (clock - res[kStarted] >= limit && ex.bodyStarted && !(res.req as Req).complete && !ex.ended) {
            this.requestTimedOut(socket, res);
            break;
          }
        }
      }
    }
    // More sockets than open connections (idle ones the clients closed, with a long
    // keep-alive timeout): the oldest idle ones go. (Announced connections are closed by
    // their ConnectionClosed record.)
    if (this.announced) return;
    let excess = this.sockets.size - (this.inner?.connectionCount ?? 0);
    for (const socket of [...this.sockets.values()]) {
      if (excess <= 0) break;
      if (socket.active.length === 0) {
        socket.closed_();
        excess--;
      }
    }
  }
}

// EventEmitter's add and remove methods, each wrapped once: the listener changes, then the
// server hears of it (Server#listenersChanged).
for (const [name, added] of [
  ['on', true],
  ['addListener', true],
  ['prependListener', true],
  ['removeListener', false],
  ['off', false],
] as const) {
  const base = HttpServerBase.prototype[name] as ListenerMethod;
  Object.defineProperty(Server.prototype, name, {
    configurable: true,
    writable: true,
    value: function (this: Server, event: string | symbol, listener: (...args: any[]) => void): Server {
      base.call(this, event, listener);
      this.listenersChanged(event, added);
      return this;
    },
  });
}

// node:http's error for each status the native side answers a bad head with: llhttp's
// code for the rule a malformed head broke where the parser says which (FAULT_CODES),
// HPE_INVALID_CONSTANT for other 400s, ERR_HTTP_REQUEST_TIMEOUT for 408.
const KNOWN_METHODS = new Set(http.METHODS);
/** ServerResponse as node's parserOnIncoming makes it: (req, { highWaterMark, rejectNonStandardBodyWrites }). */
type ResponseClass = new (req: Req, options: object) => http.ServerResponse;

const PARSE_ERRORS: Record<string, string> = {
  HPE_INVALID_METHOD: 'Parse Error: Invalid method encountered',
  HPE_INVALID_URL: 'Parse Error: Invalid URL',
  HPE_INVALID_VERSION: 'Parse Error: Invalid HTTP version',
  HPE_INVALID_HEADER_TOKEN: 'Parse Error: Invalid header token',
  HPE_CR_EXPECTED: 'Parse Error: Missing expected CR after header value',
  HPE_LF_EXPECTED: 'Parse Error: Missing expected LF after header value',
  HPE_INVALID_CONTENT_LENGTH: 'Parse Error: Invalid character in Content-Length',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Parse Error: Unexpected Content-Length',
  HPE_INVALID_TRANSFER_ENCODING: 'Parse Error: Invalid Transfer-Encoding',
  HPE_INVALID_EOF_STATE: 'Parse Error: Invalid EOF state',
};

// llhttp's code for each native ParseFault (ClientErrorInfo.parseFault); 0: by status.
const FAULT_CODES: (string | undefined)[] = [
  undefined,
  'HPE_INVALID_METHOD',
  'HPE_INVALID_URL',
  'HPE_INVALID_VERSION',
  'HPE_INVALID_HEADER_TOKEN',
  'HPE_CR_EXPECTED',
  'HPE_LF_EXPECTED',
  'HPE_INVALID_CONTENT_LENGTH',
  'HPE_UNEXPECTED_CONTENT_LENGTH',
  'HPE_INVALID_TRANSFER_ENCODING',
  'HPE_INVALID_EOF_STATE',
];
const EOF_FAULT = FAULT_CODES.indexOf('HPE_INVALID_EOF_STATE');

const CLIENT_ERRORS: Record<number, [code: string, message: string]> = {
  400: ['HPE_INVALID_CONSTANT', 'Parse Error: malformed request'],
  408: ['ERR_HTTP_REQUEST_TIMEOUT', 'Request timeout'],
  414: ['HPE_HEADER_OVERFLOW', 'Parse Error: Header overflow'],
  431: ['HPE_HEADER_OVERFLOW', 'Parse Error: Header overflow'],
  501: ['HPE_INVALID_METHOD', 'Parse Error: Invalid method encountered'],
  505: ['HPE_INVALID_VERSION', 'Parse Error: Invalid HTTP version'],
};

/** llhttp's code for a head refused for its syntax (a 400), or undefined to go by the status. */
function faultCode(info: ClientErrorInfo): string | undefined {
  return info.status === 400 && info.parseFault !== undefined ? FAULT_CODES[info.parseFault] : undefined;
}

/** What node:http's parse errors carry besides their code: where llhttp stopped, and the bytes it was given. */
interface ParseDetail {
  bytesParsed: number;
  rawPacket: Buffer;
}
const NO_DETAIL: ParseDetail = { bytesParsed: 0, rawPacket: EMPTY };

// The methods llhttp's request parser spells out (node's http.METHODS, RTSP's, and PRI),
// each with the space after it: it fails at the first byte that leaves all of them.
const LLHTTP_METHODS = [
  ...http.METHODS,
  ...['DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT', 'RECORD', 'FLUSH', 'PRI'],
].map((m) => `${m} `);

/**
 * Where llhttp would refuse a head's method: the offset of the first byte that is no
 * known method's next one (after leading empty lines, which it skips), or -1 when the
 * head starts with a known method and its space, or ends while it still may.
 */
function methodFaultAt(head: Buffer): number {
  let start = 0;
  while (start < head.length && (head[start] === 0x0d || head[start] === 0x0a)) start++;
  let candidates = LLHTTP_METHODS;
  for (let i = 0; start + i < head.length; i++) {
    const c = head[start + i];
    candidates = candidates.filter((m) => m.charCodeAt(i) === c);
    if (candidates.length === 0) return start + i;
    if (candidates.some((m) => m.length === i + 1)) return -1;
  }
  return -1;
}

/**
 * The error for a head the native side refused, as llhttp reports it: a method it does
 * not know fails first (HPE_INVALID_METHOD, at its first wrong byte), else the rule the
 * native parser says broke, else the status's code; with the bytes received.
 */
function refusedHeadError(info: ClientErrorInfo): Error {
  const received = info.received ?? EMPTY;
  let code = faultCode(info);
  let bytesParsed = info.bytesParsed ?? 0;
  if (info.status !== 408 && info.parseFault !== EOF_FAULT) {
    const at = methodFaultAt(received);
    if (at >= 0) {
      code = 'HPE_INVALID_METHOD';
      bytesParsed = at;
    }
  }
  return clientErrorFor(info.status, code, { bytesParsed, rawPacket: received });
}

/** For a parsed head node's parser refuses: its bytes, and where llhttp stops in a method it does not know. */
function headDetail(ex: Exchange, parseCode: string | undefined, maxHeaderBytes: number): ParseDetail {
  const head = ex.headCopy();
  let bytesParsed = 0;
  if (parseCode === 'HPE_INVALID_METHOD') bytesParsed = Math.max(0, methodFaultAt(head));
  else if (parseCode === undefined) bytesParsed = ex.headBytesReach(maxHeaderBytes);  // the 431
  return { bytesParsed, rawPacket: head };
}

/** The error 'clientError' gets: node's code for the status, or the parse error `parseCode`. */
function clientErrorFor(status: number, parseCode?: string, detail: ParseDetail = NO_DETAIL): Error {
  const [code, message] = parseCode !== undefined ? [parseCode, PARSE_ERRORS[parseCode]] : (CLIENT_ERRORS[status] ?? CLIENT_ERRORS[400]);
  const err = new Error(message) as NodeJS.ErrnoException & { bytesParsed?: number; rawPacket?: Buffer; status?: number };
  err.code = code;
  if (code.startsWith('HPE_')) {
    err.bytesParsed = detail.bytesParsed;
    err.rawPacket = detail.rawPacket;
  }
  err.status = status;
  return err;
}

/** node's maxHeadersCount: 2000 when null, none when 0. */
function fieldLimit(max: number | null): number {
  return max === null ? 2000 : max > 0 ? max : 0xffffffff;
}

function expectation(raw: string[]): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === 6 && name.toLowerCase() === 'expect') return raw[i + 1];
  }
  return undefined;
}

/** The socket reads and closes with the raw stream it was handed (hijack, deferred clientError). */
function adoptRaw(socket: NodeSocket, stream: Duplex, res: Res | null): void {
  stream.on('data', (chunk: Buffer) => {
    if (!socket.push(chunk)) stream.pause();
  });
  stream.on('end', () => socket.push(null));
  stream.on('error', noop);  // the socket hears of the close
  stream.on('close', () => {
    socket.closed_();
    if (res !== null && !res._closed) emitCloseNT(res);
  });
}

function emitCloseNT(res: Res): void {
  if (res._closed) return;
  res.destroyed = true;
  res._closed = true;
  res.emit('close');
}

/**
 * Runs `fn` now, or once the responses ahead on the connection are out (finished()); a
 * refusal already waiting there is told first, as node's parser stops at it.
 */
function whenResponsesOut(socket: NodeSocket, fn: () => void): void {
  if (socket.active.length === 0) fn();
  else socket.afterResponses ??= fn;
}

/** A response whose request came in whole and whose end() was called. */
function isAnswered(active: object): boolean {
  const res = active as { finished?: boolean; req?: { complete?: boolean } };
  return res.finished === true && res.req?.complete !== false;
}

function noop(): void {}

/** node:http's answer to a protocol error: its status line and Connection: close, no other field (the close ends the empty body). */
const NODE_ERROR_FIELDS = new FieldLines();
NODE_ERROR_FIELDS.add('Connection', 'close');
NODE_ERROR_FIELDS.hasDate = true;  // none is sent
NODE_ERROR_FIELDS.noLength = true;
NODE_ERROR_FIELDS.noChunked = true;

/** node:http's answer in place of the app's: `status`, no body, then a close. */
function answerClosing(ex: Exchange, status: number): void {
  ex.resetForError(status);
  ex.presetHead(NODE_ERROR_FIELDS);
  ex.sendNow(null, true);
}

/** node's socketOnClose: the connection's parser is freed (before the app's 'close' listeners run). */
function socketOnClose(this: unknown): void {
  // Robust to being called on something else, as node's (its own tests call the socket's
  // close listeners on the request).
  if (this instanceof NodeSocket) this.freeParser();
}

/** node's onServerResponseClose: the response still on the socket closes with it. */
function onServerResponseClose(this: { _httpMessage?: unknown }): void {
  const res = this._httpMessage as Res | null | undefined;
  if (res != null) emitCloseNT(res);
}

/**
 * node's socketOnError: the first error on a connection's socket goes to 'clientError'
 * listeners, or else ends the connection (destroy); later ones are ignored.
 */
function socketOnError(this: NodeSocket, err: Error): void {
  ignoreLaterErrors(this);
  const server = this.server as Server;
  if (server.emit('clientError', err, this)) return;
  // node's answer where nothing of the response went out yet: 400, then the close.
  const res = this._httpMessage as Res | null;
  const ex = res === null ? undefined : res[kExchange];
  if (ex !== undefined && !ex.started && !ex.ended && !ex.aborted) answerClosing(ex, 400);
  this.destroy(err);
}

/**
 * As node's socketOnError: the socket's later errors (a destroy(err) after this one) are
 * swallowed by a listener of its own, whatever listeners the app adds and removes.
 */
/** node's socketOnError without a 'clientError' listener: the socket's 'error', once. */
function failNow(socket: NodeSocket, err: Error): void {
  ignoreLaterErrors(socket);
  socket.emit('error', err);
}

function ignoreLaterErrors(socket: NodeSocket): void {
  socket.removeListener('error', socketOnError);
  if (!socket.listeners('error').includes(noop)) socket.on('error', noop);
}

function rethrow(err: unknown): never {
  throw err;
}

function parseAddress(url: string): AddressInfo {
  if (url.startsWith('unix:')) return { address: url.slice(5), family: 'unix', port: 0 };
  const m = /^http:\/\/(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(url);
  if (m === null) return { address: url, family: 'IPv4', port: 0 };
  return m[1] !== undefined ? { address: m[1], family: 'IPv6', port: Number(m[3]) } : { address: m[2], family: 'IPv4', port: Number(m[3]) };
}

requestHooks.bodyFailed = (ex, status) => {
  ((ex.observer as NodeSocket).server as Server).bodyFailed(ex, status);
};

// `listening` is a property of http.Server's type: defined here rather than as an accessor
// in the class body.
Object.defineProperty(Server.prototype, 'listening', {
  configurable: true,
  get(this: Server): boolean {
    return (this as unknown as { info: AddressInfo | null }).info !== null;
  },
});

finishHooks.onFinish = (res) => {
  const server = ((res as Res)[kExchange].observer as NodeSocket).server as Server;
  server.finished(res as Res);
};

/** http.createServer([options][, requestListener]) */
export function createServer(requestListener?: RequestListener): Server;
export function createServer(options: ServerOptions, requestListener?: RequestListener): Server;
export function createServer(options?: ServerOptions | RequestListener, requestListener?: RequestListener): Server {
  return new Server(options as ServerOptions, requestListener);
}

