// Server: listens through the native backend, turns each batch of native events into
// exchanges and contexts, runs the pipeline, and stops gracefully.
import { EventEmitter } from 'node:events';
import { STATUS_CODES } from 'node:http';
import type { Writable } from 'node:stream';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { unlinkSync } from 'node:fs';
import { SyshttpError, invalidArg } from './errors';
import { Exchange, REQUEST_FIXED_WORDS, type ExchangeHost } from './exchange';
import { FeatureCollection } from './feature-collection';
import { decodeEndpoints } from './features/connection';
import { ServerAddresses, ServerAddressesFeature } from './features/server-addresses';
import { UpgradedStream } from './upgraded-stream';
import { HttpContext } from './http-context';
import { loadBinding, type NativeConstants, type NativeLimits, type NativeServerHandle } from './native';
import { resolveLimits, resolveWindowsOptions, type ListenOptions, type NativeWindowsOptions, type ServerOptions } from './options';
import { compose, type Handler, type Middleware } from './pipeline';

export interface AddressInfo {
  /** The bound address, or the socket's path for a Unix socket. */
  address: string;
  family: 'IPv4' | 'IPv6' | 'unix';
  /** 0 for a Unix socket. */
  port: number;
}

/**
 * A connection whose request head the native side refused ('clientError'): malformed
 * (400), too slow (408), too long (414, 431), an unsupported coding or method (501) or
 * version (505). The error response has already been sent and the connection closes after
 * it; the event is for logging and metrics. HTTP.sys answers these in the kernel: no event.
 */
export interface ClientErrorInfo {
  /** The native connection id (HttpConnectionFeature.id is this number in base 36). */
  connectionId: number;
  /** The status the server answered with. */
  status: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /**
   * @internal With setDeferClientErrors(true): nothing was answered, and this is the
   * connection as a raw stream for the listener's own answer (the node:http layer).
   * Unanswered when every listener has returned, it gets the status and a close.
   */
  raw?: UpgradedStream;
  /**
   * @internal Which parsing rule a head refused for its syntax broke (native
   * http::ParseFault: 0 other, 1 method, 2 target, 3 version, 4 field token or value,
   * 5 CR expected, 6 LF expected, 7 Content-Length, 8 unexpected Content-Length,
   * 9 Transfer-Encoding, 10 a head cut short by the client's end).
   */
  parseFault?: number;
  /**
   * What of the refused head had arrived (at most 64 KiB; node:http's err.rawPacket).
   * Linux backends only.
   */
  received?: Buffer;
  /** Where in `received` the parser stopped (node:http's err.bytesParsed). Linux backends only. */
  bytesParsed?: number;
}

/** @internal */
export interface ConnectionHandler {
  opened(connection: number, endpoints: { localAddress: string; localPort: number; remoteAddress: string; remotePort: number }): void;
  /** bytesRead/bytesWritten: the connection's final counts (node's socket.bytesRead/bytesWritten). */
  closed(connection: number, bytesRead: number, bytesWritten: number): void;
  /** A copy of bytes the connection received (after native.mirrorInput(connection)). */
  input?(connection: number, chunk: Buffer): void;
}

export interface StopOptions {
  /** How long in-flight requests get before their connections are closed (ms). */
  timeout?: number;
  /**
   * @internal node:http's close(): the connections are not told to finish (no
   * Connection: close); they serve on until they close on their own or `timeout`.
   */
  keepConnections?: boolean;
}

let serverCount = 0;

export type BackendChoice = 'auto' | 'io_uring' | 'epoll' | 'httpsys';

export interface BackendInfo {
  name: string;
  detail: string;
  fallbackReason: string;
}

const NO_PATH_BASES: readonly string[] = [];
/** Entries of connections without exchanges (idle, or closed) stay in the in-flight map until it reaches this size. */
const MIN_IN_FLIGHT_SWEEP = 1024;
const ABORTED = -1;  // SendResult.Gone
// Stands in for the native server before listen() and after stop(): every call on it
// says "gone", so a late ctx.abort() or body read settles instead of throwing.
const closedHandle: NativeServerHandle = {
  listen: () => ({ errno: 9, syscall: 'listen', message: 'server closed' }),
  send: () => ABORTED,
  readBody: () => ABORTED,
  setResponseCache: () => {},
  setKeepAliveFields: () => {},
  setDeferClientErrors: () => {},
  setAllowHalfOpen: () => {},
  pauseBody: () => ABORTED,
  abort: () => {},
  detach: () => ABORTED,
  peekUpgrade: () => ABORTED,
  writeRaw: () => ABORTED,
  endRaw: () => ABORTED,
  pauseRaw: () => {},
  beginShutdown: () => {},
  resumeAfterShutdown: () => false,
  closeAll: () => {},
  close: () => {},
  connectionCount: () => 0,
  byteCounts: () => undefined,
  setRef: () => {},
  setConnectionRef: () => {},
  setNoDelay: () => 0,
  mirrorInput: () => {},
  setKeepAlive: () => 0,
  backendName: () => 'closed',
  backendInfo: () => ({ name: 'closed', detail: '', fallbackReason: '' }),
};

export class Server extends EventEmitter implements ExchangeHost {
  /** Server-level features (ServerAddressesFeature). */
  readonly features = new FeatureCollection();
  readonly maxRequestBodySize: number | null;
  private readonly limits: NativeLimits;
  private readonly middleware: Middleware[] = [];
  private handler: Handler | null = null;
  private run: ((ctx: HttpContext) => Promise<void>) | null = null;
  private handle: NativeServerHandle | null = null;
  private refed = true;
  private epoch = 0;  // increases at each stop(): a listen() that raced with it gives up
  private C: NativeConstants | null = null;
  // A connection's exchanges in flight: the one itself (most connections), a list of
  // pipelined ones, oldest first, or null while it has none. A connection between requests
  // keeps its entry: deleting it at every response made V8 shrink and regrow the Map's
  // table as a batch came and went. Entries of closed connections go in sweeps (addInFlight).
  private readonly inFlight = new Map<number, Exchange | Exchange[] | null>();
  private sweepInFlightAt = MIN_IN_FLIGHT_SWEEP;
  private readonly bodies = new Map<number, Exchange>();
  /** Connections that left HTTP (upgrades), by connection id. */
  private readonly upgraded = new Map<number, UpgradedStream>();
  private readonly addressList = new ServerAddresses();
  /** Unix socket files this server created (removed at stop). */
  private readonly unixPaths: string[] = [];
  private readonly tag: string;
  private stopping: Promise<void> | null = null;
  /** The stop in progress, and the promises that settle with its end (resumeAfterStop). */
  private stopState: { timer: NodeJS.Timeout | null; keepConnections: boolean; timeout: number } | null = null;
  /** The timeout of the stop resumeAfterStop() undid (a failed listen() resumes it). */
  private resumedStopTimeout = 30_000;
  private carriedStops: (() => void)[] = [];
  private shutdownComplete: (() => void) | null = null;
  private readonly backendChoice: BackendChoice;
  private readonly windows: NativeWindowsOptions;
  /** @internal The request pathBase candidates (lib/features/request.ts): HTTP.sys only. */
  get pathBases(): readonly string[] {
    return process.platform === 'win32' ? this.windows.pathBases : NO_PATH_BASES;
  }
  private readonly backendTuning: { ioUringNoMultishotAccept: boolean; ioUringNoBufferRing: boolean; ioUringDeferTaskrun: boolean };

  constructor(options: ServerOptions = {}, handler?: Handler) {
    super();
    if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
    const backend = options.backend ?? (process.env.SYSHTTP_BACKEND || 'auto');
    if (backend !== 'auto' && backend !== 'epoll' && backend !== 'io_uring' && backend !== 'httpsys') {
      throw new SyshttpError('SYSHTTP_ERR_BACKEND_UNAVAILABLE', `"${String(backend)}" (choose 'auto', 'io_uring', 'epoll' or 'httpsys')`);
    }
    this.backendChoice = backend;
    this.windows = resolveWindowsOptions(options.windows);  // HTTP.sys only (lib/options.ts)
    // Internal switches for the bench's ablation (SYSHTTP_IOURING_NO=accept,bufring; SYSHTTP_IOURING_DEFER_TASKRUN=1).
    const off = (process.env.SYSHTTP_IOURING_NO ?? '').split(',');
    this.backendTuning = {
      ioUringNoMultishotAccept: off.includes('accept'),
      ioUringNoBufferRing: off.includes('bufring'),
      // DEFER_TASKRUN, for the ablation only (SYSHTTP_IOURING_DEFER_TASKRUN=1): see native Ring::init.
      ioUringDeferTaskrun: process.env.SYSHTTP_IOURING_DEFER_TASKRUN === '1',
    };
    this.limits = resolveLimits(options.limits);
    this.maxRequestBodySize = this.limits.maxRequestBodySize;
    if (handler !== undefined) {
      if (typeof handler !== 'function') throw invalidArg('the request handler must be a function');
      this.handler = handler;
    }
    this.features.set(ServerAddressesFeature, this.addressList);
    this.tag = (serverCount++).toString(36).toUpperCase() + '-';
  }

  /** Adds a middleware `(ctx, next) => Promise<void>`; they run in order, the handler last. */
  use(middleware: Middleware): this {
    if (typeof middleware !== 'function') throw invalidArg('middleware must be a function');
    this.middleware.push(middleware);
    this.run = null;
    return this;
  }

  /** The backend serving requests: "io_uring" or "epoll". Undefined before listen(). */
  get backend(): string | undefined {
    return this.handle?.backendName();
  }

  /**
   * The backend in detail: its name, the kernel features it uses, and why io_uring is not
   * used when `auto` fell back to epoll (or ""). Undefined before listen().
   */
  get backendInfo(): BackendInfo | undefined {
    return this.handle?.backendInfo();
  }

  /** Bound addresses as URLs, e.g. "http://127.0.0.1:41234" (the real port after port 0). */
  get addresses(): readonly string[] {
    return this.addressList.addresses;
  }

  get connectionCount(): number {
    return this.handle?.connectionCount() ?? 0;
  }

  get listening(): boolean {
    return this.handle !== null && this.stopping === null && this.addressList.addresses.length > 0;
  }

  /** @internal */
  get constants(): NativeConstants {
    return this.C as NativeConstants;
  }

  /** @internal */
  get native(): NativeServerHandle {
    return this.handle ?? closedHandle;
  }

  /** @internal The stop in progress, if any. */
  get stoppingNow(): Promise<void> | null {
    return this.stopping;
  }

  /**
   * @internal Undoes a stop({ keepConnections: true }) still waiting for its connections
   * (node:http's listen() straight after close(), which stopped only the listeners): the
   * server may listen again and its connections serve on. The stop's promise settles
   * when a later stop completes. False when there is no such stop or the backend cannot.
   */
  resumeAfterStop(): boolean {
    const state = this.stopState;
    if (state === null || !state.keepConnections || this.handle === null || !this.handle.resumeAfterShutdown()) return false;
    if (state.timer !== null) clearTimeout(state.timer);
    this.resumedStopTimeout = state.timeout;
    this.stopState = null;
    this.shutdownComplete = null;  // a ShutdownComplete already in this batch is stale
    this.addressList.addresses.length = 0;  // the listeners are closed
    this.stopping = null;
    return true;
  }

  async listen(options: ListenOptions = {}): Promise<AddressInfo> {
    if (options === null || typeof options !== 'object') throw invalidArg('listen options must be an object');
    const { port = 0, backlog = 511, reusePort = false, ipv6Only = false } = options;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidArg(`port must be an integer from 0 to 65535, got ${String(port)}`);
    if (!Number.isInteger(backlog) || backlog < 1) throw invalidArg('backlog must be a positive integer');
    if (this.stopping !== null) throw new SyshttpError('SYSHTTP_ERR_SERVER_STATE', 'the server is stopping');
    if (options.path !== undefined) return this.listenUnix(options.path, backlog);

    const hosts: string[] = [];
    if (options.host === undefined) {
      hosts.push('::', '0.0.0.0');
    } else {
      if (typeof options.host !== 'string' || options.host === '') throw invalidArg('host must be a non-empty string');
      const bare = options.host.replace(/^\[(.*)\]$/, '$1');
      if (isIP(bare)) {
        hosts.push(bare);
      } else {
        const epoch = this.epoch;
        hosts.push((await lookup(bare)).address);
        if (this.epoch !== epoch || this.stopping !== null) {
          throw new SyshttpError('SYSHTTP_ERR_SERVER_STATE', 'stop() was called while listen() was resolving the host');
        }
      }
    }

    const handle = this.open();
    let failure: { errno: number; syscall: string; message: string } | null = null;
    for (const host of hosts) {
      const r = handle.listen(host, port, backlog, reusePort, ipv6Only);
      if ('port' in r) {
        const url = r.family === 'IPv6' ? `http://[${r.address}]:${r.port}` : `http://${r.address}:${r.port}`;
        this.addressList.addresses.push(url);
        return { address: r.address, family: r.family, port: r.port };
      }
      failure = r;
      // No IPv6 on this machine: the default falls back to IPv4 as node:net does.
      if (options.host !== undefined || (r.errno !== 97 && r.errno !== 99)) break;
    }
    if (this.addressList.addresses.length === 0) this.dropUnusedHandle();
    const f = failure as { errno: number; syscall: string; message: string };
    const err = new SyshttpError('SYSHTTP_ERR_LISTEN', `${f.syscall} ${hosts[0]}:${port}: ${f.message}`);
    err.errno = f.errno;
    err.syscall = f.syscall;
    throw err;
  }

  private listenUnix(path: unknown, backlog: number): AddressInfo {
    // Abstract names ('\0…') are refused: node's own clients pad them to the full sun_path
    // length (libuv), other programs do not, so no one form would serve both.
    if (typeof path !== 'string' || path === '' || path.includes('\0')) throw invalidArg('path must be a non-empty file path (abstract socket names are not supported)');
    const r = this.open().listen('', 0, backlog, false, false, path);
    if ('port' in r) {
      this.addressList.addresses.push(`unix:${path}`);
      this.unixPaths.push(path);
      return { address: path, family: 'unix', port: 0 };
    }
    if (this.addressList.addresses.length === 0) this.dropUnusedHandle();
    const err = new SyshttpError('SYSHTTP_ERR_LISTEN', `${r.syscall} ${path}: ${r.message}`);
    err.errno = r.errno;
    err.syscall = r.syscall;
    throw err;
  }

  private open(): NativeServerHandle {
    if (this.handle !== null) return this.handle;
    const binding = loadBinding();
    this.C = binding.constants;
    try {
      this.handle = new binding.NativeServer(
        { ...this.limits, backend: this.backendChoice, ...this.backendTuning, windows: this.windows, connectionEvents: this.connectionHandler !== null, keepAliveFields: this.keepAliveFields ?? '', answerUnusedConnectionTimeout: this.answerUnusedConnectionTimeout, nodeErrorResponses: this.nodeErrorResponses, requireHost: this.requireHost, connectTunnels: this.connectTunnels, llhttpMethods: this.llhttpMethods, hostMustMatchTarget: this.hostMustMatchTarget },
        (batch, words) => this.onBatch(batch, words),
      );
    } catch (err) {
      const e = err as { code?: string; message: string; errno?: number };
      if (e.code !== 'SYSHTTP_ERR_BACKEND_UNAVAILABLE') throw err;
      const typed = new SyshttpError('SYSHTTP_ERR_BACKEND_UNAVAILABLE', e.message);
      typed.errno = e.errno;
      throw typed;
    }
    if (!this.refed) this.handle.setRef(false);
    if (this.deferClientErrors) this.handle.setDeferClientErrors(true);
    if (this.allowHalfOpen) this.handle.setAllowHalfOpen(true);
    return this.handle;
  }

  /**
   * After a failed listen() with no listener left: the native server goes, unless a stop
   * was undone for this listen() (resumeAfterStop): that stop resumes, so the connections
   * it kept serve on to their end and its promise settles then.
   */
  private dropUnusedHandle(): void {
    if (this.carriedStops.length > 0 && this.handle !== null) {
      void this.stop({ timeout: this.resumedStopTimeout, keepConnections: true });
      return;
    }
    this.closeHandle();
  }

  private closeHandle(): void {
    this.handle?.close();
    this.handle = null;
  }

  /**
   * Graceful stop: no new connections, idle keep-alive connections close now, in-flight
   * requests get `timeout` ms to finish (their responses carry Connection: close), then
   * whatever is left is closed.
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (this.stopping !== null) return this.stopping;
    const timeout = options.timeout ?? 30_000;
    if (!Number.isFinite(timeout) || timeout < 0) return Promise.reject(invalidArg('stop timeout must be a non-negative number of ms'));
    this.epoch++;
    const handle = this.handle;
    if (handle === null) return Promise.resolve();
    this.stopping = new Promise<void>((resolve) => {
      const finish = (): void => {
        const state = this.stopState;
        if (state !== null && state.timer !== null) clearTimeout(state.timer);
        this.stopState = null;
        this.shutdownComplete = null;
        if (handle.connectionCount() > 0) handle.closeAll();
        // Whatever is still in flight is over now, whether or not its abort record
        // made it into a batch.
        const left = [...this.inFlight.values()].flat().filter((ex): ex is Exchange => ex !== null);
        this.inFlight.clear();
        this.bodies.clear();
        for (const ex of left) ex.onAbort();
        const streams = [...this.upgraded.values()];
        this.upgraded.clear();
        for (const stream of streams) stream.connectionClosed(true);
        this.closeHandle();
        this.addressList.addresses.length = 0;
        this.stopping = null;  // the server can listen again
        for (const carried of this.carriedStops.splice(0)) carried();
      };
      this.shutdownComplete = finish;
      this.stopState = { timer: setTimeout(finish, timeout), keepConnections: options.keepConnections === true, timeout };
      // Settles with this stop, or with a later one if this one is undone (resumeAfterStop).
      this.carriedStops.push(resolve);
      handle.beginShutdown(options.keepConnections === true);
      // The listeners are closed: their socket files go, as node:net removes them.
      for (const path of this.unixPaths.splice(0)) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    });
    return this.stopping;
  }

  // ---- ExchangeHost ---------------------------------------------------------------------

  /** @internal */
  release(ex: Exchange): void {
    const list = this.inFlight.get(ex.connection);
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) {
      if (list === ex) this.inFlight.set(ex.connection, null);
    } else if (list.length === 1) {
      if (list[0] === ex) this.inFlight.set(ex.connection, null);
    } else if (list[0] === ex) {
      list.shift();  // responses complete in order, as a rule
    } else {
      const i = list.indexOf(ex);
      if (i !== -1) list.splice(i, 1);
    }
    // A body being read goes on to its end (or the connection's): only then is it done.
    if ((ex.flags & (this.C as NativeConstants).REQUEST_HAS_BODY) !== 0 && this.bodies.get(ex.connection) === ex && (ex.aborted || !ex.bodyReading)) {
      this.bodies.delete(ex.connection);
    }
  }

  /**
   * A listening server keeps the process alive, as node's servers do; `unref()` lets the
   * process exit while it listens (for instance when only other work should keep it),
   * `ref()` undoes that. Both return the server and hold across stop() and listen(). An
   * open connection keeps the process alive either way, as node's accepted sockets do
   * (Linux backends), so nothing in flight is cut off by the exit.
   */
  ref(): this {
    this.refed = true;
    this.handle?.setRef(true);
    return this;
  }
  unref(): this {
    this.refed = false;
    this.handle?.setRef(false);
    return this;
  }

  /** @internal The Linux backends send an app's own Transfer-Encoding line (FieldLines.keepTransferEncoding). */
  get appTransferEncoding(): boolean {
    return this.backend !== 'httpsys';
  }

  /** @internal HTTP.sys keeps a kernel response cache (HttpResponseCacheFeature). */
  get kernelResponseCache(): boolean {
    return this.backend === 'httpsys';
  }

  /** @internal */
  adoptUpgraded(stream: UpgradedStream): void {
    this.upgraded.set(stream.connection, stream);
  }

  /** @internal */
  reportError(err: unknown): void {
    this.report(err, undefined);
  }

  /** A connection's first exchange; entries without one are swept when the map has doubled since the last sweep. */
  private addInFlight(connection: number, ex: Exchange): void {
    const inFlight = this.inFlight;
    if (inFlight.size >= this.sweepInFlightAt) {
      for (const [id, list] of inFlight) if (list === null) inFlight.delete(id);
      this.sweepInFlightAt = Math.max(MIN_IN_FLIGHT_SWEEP, 2 * inFlight.size);
    }
    inFlight.set(connection, ex);
  }

  private find(connection: number, seq: number): Exchange | undefined {
    const list = this.inFlight.get(connection);
    if (list === undefined || list === null) return undefined;
    if (!Array.isArray(list)) return list.seq === seq ? list : undefined;
    for (const ex of list) if (ex.seq === seq) return ex;
    return undefined;
  }

  // ---- the one native→JS call per loop turn --------------------------------------------

  private onBatch(batch: ArrayBuffer, wordCount: number): void {
    const C = this.C as NativeConstants;
    const words = new Uint32Array(batch, 0, wordCount);
    const bytes = Buffer.from(batch, wordCount * 4);
    let i = 0;
    while (i < wordCount) {
      const type = words[i];
      let length: number;
      switch (type) {
        case C.RECORD_REQUEST:
          length = REQUEST_FIXED_WORDS + 4 * words[i + 11];
          break;
        case C.RECORD_BODY:
          length = 5;
          break;
        case C.RECORD_BODY_END:
          length = 4 + 4 * words[i + 3];
          break;
        case C.RECORD_BODY_ERROR:
          length = 4;
          break;
        case C.RECORD_RAW:
        case C.RECORD_INPUT_COPY:
          length = 5;
          break;
        case C.RECORD_CLIENT_ERROR:
          length = 8;
          break;
        case C.RECORD_CONNECTION_OPEN:
          length = 4;
          break;
        case C.RECORD_CONNECTION_CLOSED:
          length = 7;
          break;
        case C.RECORD_DRAIN:
        case C.RECORD_ABORT:
        case C.RECORD_RAW_END:
        case C.RECORD_SHUTDOWN_COMPLETE:
          length = 3;
          break;
        default:
          // A record this version does not know: the batch cannot be walked further.
          this.report(new Error(`syshttp: unknown batch record ${type}`), undefined);
          return;
      }
      try {
        this.handleRecord(C, type, words, bytes, i);
      } catch (err) {
        // An app listener that throws (a body 'data' handler, say) fails its own
        // request; the other records of the batch still get handled.
        this.report(err, undefined);
      }
      i += length;
    }
  }

  private handleRecord(C: NativeConstants, type: number, words: Uint32Array, bytes: Buffer, i: number): void {
    const connection = words[i + 1];
    const seq = words[i + 2];
    switch (type) {
      case C.RECORD_REQUEST: {
        const ex = new Exchange(this, words, bytes, i);
        const list = this.inFlight.get(connection);
        if (list === undefined) this.addInFlight(connection, ex);
        else if (list === null) this.inFlight.set(connection, ex);
        else if (Array.isArray(list)) list.push(ex);
        else this.inFlight.set(connection, [list, ex]);
        if (ex.has(C.REQUEST_HAS_BODY)) this.bodies.set(connection, ex);
        this.dispatch(ex);
        return;
      }
      case C.RECORD_BODY: {
        const ex = this.bodies.get(connection);
        if (ex !== undefined && ex.seq === seq) ex.onBody(bytes.subarray(words[i + 3], words[i + 3] + words[i + 4]));
        return;
      }
      case C.RECORD_BODY_END: {
        const count = words[i + 3];
        const ex = this.bodies.get(connection);
        if (ex === undefined || ex.seq !== seq) return;
        this.bodies.delete(connection);
        let trailers: Map<string, string> | null = null;
        let raw: string[] | null = null;
        if (count > 0) {
          trailers = new Map();
          raw = [];
          for (let f = 0, w = i + 4; f < count; f++, w += 4) {
            const name = bytes.toString('latin1', words[w], words[w] + words[w + 1]);
            const value = bytes.toString('latin1', words[w + 2], words[w + 2] + words[w + 3]);
            raw.push(name, value);
            const key = name.toLowerCase();
            const prior = trailers.get(key);
            trailers.set(key, prior === undefined ? value : `${prior}, ${value}`);
          }
        }
        ex.onBodyEnd(trailers, raw);
        return;
      }
      case C.RECORD_BODY_ERROR: {
        const ex = this.bodies.get(connection);
        if (ex === undefined || ex.seq !== seq) return;
        this.bodies.delete(connection);
        ex.onBodyError(words[i + 3]);
        return;
      }
      case C.RECORD_DRAIN:
        if (seq === 0) this.upgraded.get(connection)?.drained();
        else this.find(connection, seq)?.onDrain();
        return;
      case C.RECORD_RAW:
        this.upgraded.get(connection)?.deliver(bytes.subarray(words[i + 3], words[i + 3] + words[i + 4]));
        return;
      case C.RECORD_RAW_END:
        this.upgraded.get(connection)?.peerEnded();
        return;
      case C.RECORD_ABORT: {
        const stream = this.upgraded.get(connection);
        if (stream !== undefined) {
          this.upgraded.delete(connection);
          stream.connectionClosed();
        }
        const list = this.inFlight.get(connection);
        this.inFlight.delete(connection);
        const reading = this.bodies.get(connection);
        this.bodies.delete(connection);
        if (Array.isArray(list)) for (const ex of list) ex.onAbort();
        else list?.onAbort();
        // A body still read after its response completed (released): it ends here too.
        reading?.onAbort();
        return;
      }
      case C.RECORD_SHUTDOWN_COMPLETE:
        this.shutdownComplete?.();
        return;
      case C.RECORD_CLIENT_ERROR: {
        const deferred = (words[i + 3] & C.CLIENT_ERROR_DEFERRED) !== 0;
        const status = words[i + 3] & 0xffff;
        const parseFault = words[i + 3] >>> 24;
        if (!deferred && this.listenerCount('clientError') === 0) return;
        const endpoints = decodeEndpoints(bytes, words[i + 4]);
        const info: ClientErrorInfo = {
          connectionId: connection,
          status,
          ...endpoints,
          parseFault,
          received: Buffer.from(bytes.subarray(words[i + 5], words[i + 5] + words[i + 6])),  // a copy: the batch is reused
          bytesParsed: words[i + 7],
        };
        if (!deferred) {
          this.emit('clientError', new SyshttpError('SYSHTTP_ERR_CLIENT_PROTOCOL', `answered ${status}`, { status }), info);
          return;
        }
        const raw = new UpgradedStream(this.handle ?? closedHandle, connection, endpoints);
        this.adoptUpgraded(raw);
        info.raw = raw;
        raw.on('error', noop);  // the connection's end is the listener's business
        const told = this.listenerCount('clientError') > 0;
        if (told) this.emit('clientError', new SyshttpError('SYSHTTP_ERR_CLIENT_PROTOCOL', `refused ${status}`, { status }), info);
        if (raw.bytesWritten > 0 || raw.writableLength > 0 || raw.writableEnded || raw.destroyed) return;
        if (!told) {
          // Nobody to answer: the answer the native side would have sent, then the close.
          answerRefusedHead(raw, status);
          return;
        }
        // A listener that answers later may; one that never does leaves the connection to
        // close after the head timeout, unanswered (node:http sends nothing either).
        const timer = setTimeout(() => {
          if (raw.bytesWritten === 0 && !raw.writableEnded) raw.destroy();
        }, this.limits.requestHeadersTimeout);
        timer.unref();
        raw.once('close', () => clearTimeout(timer));
        return;
      }
      case C.RECORD_CONNECTION_OPEN:
        this.connectionHandler?.opened(connection, decodeEndpoints(bytes, words[i + 3]));
        return;
      case C.RECORD_INPUT_COPY:
        // A copy: the batch's memory is reused by the next batch.
        this.connectionHandler?.input?.(connection, Buffer.from(bytes.subarray(words[i + 3], words[i + 3] + words[i + 4])));
        return;
      case C.RECORD_CONNECTION_CLOSED:
        // The final byte counts: 64-bit, as two words each.
        this.connectionHandler?.closed(connection, words[i + 3] + words[i + 4] * 0x1_0000_0000, words[i + 5] + words[i + 6] * 0x1_0000_0000);
        return;
    }
  }

  /**
   * @internal Hears of each connection's accept and end (the node:http layer's
   * 'connection'); set before listen(). Linux backends only: HTTP.sys has no accept.
   */
  connectionHandler: ConnectionHandler | null = null;

  /**
   * @internal Field lines (each ending in CRLF) every kept-alive response without its own
   * Connection field carries: the node:http layer's "Connection: keep-alive" and
   * "Keep-Alive: timeout=N". Set before listen(). Linux backends only.
   */
  keepAliveFields: string | null = null;

  /**
   * @internal A connection that sends nothing within the head timeout is answered 408 (and
   * 'clientError'), as node:http does, instead of closed silently. Set before listen().
   */
  answerUnusedConnectionTimeout = false;

  /**
   * @internal Protocol errors are answered with node:http's own bytes (status line and
   * Connection: close; no Content-Length, no Date). Set before listen(). Linux backends.
   */
  nodeErrorResponses = false;

  /** @internal false: an HTTP/1.1 request without Host is taken (node:http's requireHostHeader). */
  requireHost = true;
  /** @internal CONNECT comes as a tunnel request to detach (node:http's 'connect'), not a 501. Set before listen(). */
  connectTunnels = false;
  /** @internal A method still arriving is refused at its first byte off llhttp's methods (node:http's parser). Set before listen(). */
  llhttpMethods = false;
  /** @internal false: with an absolute-form target, Host may name another authority (node:http takes it). Set before listen(). */
  hostMustMatchTarget = true;

  /** @internal Refused request heads are left to 'clientError' listeners (ClientErrorInfo.raw), from now on. */
  setDeferClientErrors(on: boolean): void {
    this.deferClientErrors = on;
    this.handle?.setDeferClientErrors(on);
  }
  private deferClientErrors = false;

  /** @internal node's httpAllowHalfOpen: the client's end does not abort what it asked before it (Linux backends), from now on. */
  setAllowHalfOpen(on: boolean): void {
    this.allowHalfOpen = on;
    this.handle?.setAllowHalfOpen(on);
  }
  private allowHalfOpen = false;

  /** @internal keepAliveFields, also for connections already open. */
  setKeepAliveFields(fields: string, keepAliveTimeoutMs?: number): void {
    this.keepAliveFields = fields;
    if (keepAliveTimeoutMs !== undefined) this.limits.keepAliveTimeout = keepAliveTimeoutMs;
    this.handle?.setKeepAliveFields(fields, keepAliveTimeoutMs);
  }

  /** @internal Takes every exchange in place of contexts and the pipeline (the node:http layer, lib/node). */
  exchangeHandler: ((ex: Exchange) => void) | null = null;

  private dispatch(ex: Exchange): void {
    if (this.exchangeHandler !== null) {
      this.exchangeHandler(ex);
      return;
    }
    const ctx = new HttpContext(ex, this.tag, this.addressList);
    if (this.run === null) {
      const all = this.handler === null ? this.middleware : [...this.middleware, (c: HttpContext) => (this.handler as Handler)(c)];
      this.run = compose(all);
    }
    this.run(ctx).then(
      () => {
        // The pipeline is done: a response it left open is completed, as ASP.NET Core does.
        if (!ex.ended) return ex.end().catch((err: unknown) => this.fail(ex, ctx, err));
        return undefined;
      },
      (err: unknown) => this.fail(ex, ctx, err),
    );
  }

  private fail(ex: Exchange, ctx: HttpContext, err: unknown): void {
    if (!ex.aborted) {
      if (!ex.started) {
        // Nothing was sent: answer 500 (or the status a request error carries).
        ex.resetForError(err instanceof SyshttpError && err.status !== undefined ? err.status : 500);
        ex.end().catch(() => ex.abort());
      } else if (!ex.ended) {
        ex.abort();  // the head is out: only a reset tells the client the response is broken
      }
    }
    // The client's own faults (gone, body too large or too slow, malformed) are answered,
    // not reported as server errors: a client must not be able to flood the error log.
    if (err instanceof SyshttpError && (err.code === 'SYSHTTP_ERR_CLIENT_ABORTED' || (err.status !== undefined && err.status < 500))) {
      return;
    }
    this.report(err, ctx);
  }

  private report(err: unknown, ctx: HttpContext | undefined): void {
    if (this.listenerCount('error') > 0) this.emit('error', err, ctx);
    else console.error('syshttp: unhandled error in request handler:', err);
  }
}

export function createServer(handler?: Handler, options?: ServerOptions): Server;
export function createServer(options: ServerOptions, handler?: Handler): Server;
export function createServer(a?: Handler | ServerOptions, b?: Handler | ServerOptions): Server {
  if (typeof a === 'function') {
    if (b !== undefined && (b === null || typeof b !== 'object')) throw invalidArg('options must be an object');
    return new Server((b as ServerOptions | undefined) ?? {}, a);
  }
  if (a !== undefined && (a === null || typeof a !== 'object')) {
    throw invalidArg('createServer takes a handler function and/or an options object');
  }
  if (b !== undefined && typeof b !== 'function') throw invalidArg('the request handler must be a function');
  return new Server(a ?? {}, b as Handler | undefined);
}

function noop(): void {}

/**
 * @internal A refused head's answer on its raw stream (a deferred client error nobody
 * answers): what the native side would have sent, then the close once it is out.
 */
export function answerRefusedHead(raw: Writable, status: number, nodeBytes = false): void {
  // node:http's own bytes (its layer's answer), or with Content-Length and Date as RFC 9110 asks.
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`;
  const fields = nodeBytes ? 'Connection: close\r\n' : `Content-Length: 0\r\nConnection: close\r\nDate: ${new Date().toUTCString()}\r\n`;
  raw.end(head + fields + '\r\n', () => raw.destroy());
}
