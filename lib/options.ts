// Server options and their validation. Defaults are Kestrel's (DESIGN.md §2.6).
import { invalidArg } from './errors';
import type { NativeLimits } from './native';

export interface Limits {
  /** Request line (method, target, version) in bytes. Longer → 414. */
  maxRequestLineSize?: number;
  /** All header field lines together, in bytes. More → 431. */
  maxRequestHeadersTotalSize?: number;
  /** Header fields. More → 431. */
  maxRequestHeaderCount?: number;
  /** Default body limit per request (null = unlimited). More → 413. */
  maxRequestBodySize?: number | null;
  /** Idle time between requests before the connection is closed (ms). */
  keepAliveTimeout?: number;
  /** Time to receive a whole request head (ms). Slower → 408. */
  requestHeadersTimeout?: number;
  /** Minimum request body rate after a grace period (null = none). Slower → 408. */
  minRequestBodyDataRate?: { bytesPerSecond: number; gracePeriod: number } | null;
  /** Open connections at most (null = unlimited); more are closed on accept. */
  maxConcurrentConnections?: number | null;
  /** A client that takes none of its response bytes for this long is disconnected (ms). */
  sendStallTimeout?: number;
}

/** HTTP.sys timers (HTTP_TIMEOUT_LIMIT_INFO of the URL group), in seconds; 0 or absent: HTTP.sys's default. */
export interface HttpSysTimeouts {
  /** Time for the whole request body to arrive. */
  entityBody?: number;
  /** Time to drain a body the app did not read, on a keep-alive connection. */
  drainEntityBody?: number;
  /** Time a request may wait in the queue for a receive. */
  requestQueue?: number;
  /** Idle keep-alive time (default: limits.keepAliveTimeout). */
  idleConnection?: number;
  /** Time to receive the request head (default: limits.requestHeadersTimeout). */
  headerWait?: number;
  /** Minimum response send rate in bytes per second (HTTP.sys's default: 150). */
  minSendBytesPerSecond?: number;
}

/** Options of the HTTP.sys backend (Windows only; ignored elsewhere). */
export interface WindowsOptions {
  /**
   * URL prefixes to register, e.g. `['http://+:8080/app/']` (`+`: every address and host
   * name; `*`: those no other registration claims; or a host name or address). The path
   * of the prefix a request matched is its `pathBase` (ASP.NET Core's UsePathBase
   * convention, as its HTTP.sys server does). Without it, `listen({ host, port })`
   * registers `http://<host or +>:<port>/`. Registering a prefix needs a URL ACL for the
   * account (see README, Windows): without one, listen() fails with SYSHTTP_ERR_LISTEN
   * and prints the `netsh http add urlacl` command to run.
   */
  urlPrefixes?: string[];
  /** Name of the request queue; several processes (or workers) can serve one named queue. */
  requestQueueName?: string;
  /**
   * 'create' (default): a new queue (an existing name is an error); 'attach': open the
   * named queue another process created and configured (its URLs, its limits);
   * 'createOrAttach': create it, or attach when it exists.
   */
  requestQueueMode?: 'create' | 'attach' | 'createOrAttach';
  /** Requests HTTP.sys queues for this server before it answers 503 itself (default 1000). */
  requestQueueLimit?: number;
  /** Connections HTTP.sys accepts for this server's URLs (default: limits.maxConcurrentConnections, or unlimited). */
  maxConnections?: number;
  /** HttpReceiveHttpRequest calls kept outstanding at first (default 8, grows with load up to 64). */
  receives?: number;
  timeouts?: HttpSysTimeouts;
}

export interface ServerOptions {
  /**
   * 'auto' (default) uses io_uring when the kernel allows it and falls back to epoll on
   * Linux, and HTTP.sys on Windows; 'io_uring', 'epoll' (Linux) or 'httpsys' (Windows)
   * force one (a forced backend that cannot run is an error). SYSHTTP_BACKEND sets the
   * default.
   */
  backend?: 'auto' | 'io_uring' | 'epoll' | 'httpsys';
  limits?: Limits;
  /** HTTP.sys settings (Windows). */
  windows?: WindowsOptions;
}

/** The checked Windows options as the native layer reads them. */
export interface NativeWindowsOptions {
  urlPrefixes: string[];
  requestQueueName: string;
  requestQueueMode: 'create' | 'attach' | 'createOrAttach';
  requestQueueLimit: number;
  maxConnections: number;
  receives: number;
  timeouts: Required<HttpSysTimeouts>;
  /** The path of each prefix without its trailing slash ("" for "/"): the requests' pathBase. */
  pathBases: string[];
}

const PREFIX = /^https?:\/\/(\+|\*|\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?(\/[^?#\s]*)?$/;

export function resolveWindowsOptions(options: WindowsOptions | undefined): NativeWindowsOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) throw invalidArg('options.windows must be an object');
  const o = options ?? {};
  const known = new Set(['urlPrefixes', 'requestQueueName', 'requestQueueMode', 'requestQueueLimit', 'maxConnections', 'receives', 'timeouts']);
  for (const key of Object.keys(o)) if (!known.has(key)) throw invalidArg(`unknown option windows.${key}`);
  const urlPrefixes = o.urlPrefixes ?? [];
  if (!Array.isArray(urlPrefixes)) throw invalidArg('windows.urlPrefixes must be an array of URL prefixes');
  const pathBases: string[] = [];
  for (const prefix of urlPrefixes) {
    const m = typeof prefix === 'string' ? PREFIX.exec(prefix) : null;
    if (m === null || !prefix.endsWith('/')) {
      throw invalidArg(`windows.urlPrefixes: "${String(prefix)}" is not a URL prefix such as "http://+:8080/app/" (scheme, host, optional port, path ending in "/")`);
    }
    const path = m[3] ?? '/';
    pathBases.push(path.slice(0, -1));
  }
  const name = o.requestQueueName ?? '';
  if (typeof name !== 'string' || name.length > 1024 || /[\\/]/.test(name)) {
    throw invalidArg('windows.requestQueueName must be a string without "/" or "\\"');
  }
  const mode = o.requestQueueMode ?? 'create';
  if (mode !== 'create' && mode !== 'attach' && mode !== 'createOrAttach') {
    throw invalidArg(`windows.requestQueueMode must be 'create', 'attach' or 'createOrAttach', got ${String(mode)}`);
  }
  if (mode !== 'create' && name === '') throw invalidArg(`windows.requestQueueMode '${mode}' needs a requestQueueName`);
  const count = (key: string, value: unknown, min: number, max: number): number => {
    if (value === undefined) return 0;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw invalidArg(`windows.${key} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
    return value;
  };
  const t = o.timeouts ?? {};
  if (t === null || typeof t !== 'object') throw invalidArg('windows.timeouts must be an object');
  const timerKeys = ['entityBody', 'drainEntityBody', 'requestQueue', 'idleConnection', 'headerWait', 'minSendBytesPerSecond'] as const;
  for (const key of Object.keys(t)) if (!(timerKeys as readonly string[]).includes(key)) throw invalidArg(`unknown option windows.timeouts.${key}`);
  const timeouts = {} as Required<HttpSysTimeouts>;
  for (const key of timerKeys) {
    timeouts[key] = count(`timeouts.${key}`, t[key], 0, key === 'minSendBytesPerSecond' ? U32 : 65535);
  }
  return {
    urlPrefixes: [...urlPrefixes],
    requestQueueName: name,
    requestQueueMode: mode,
    requestQueueLimit: count('requestQueueLimit', o.requestQueueLimit, 1, U32),
    maxConnections: count('maxConnections', o.maxConnections, 1, U32),
    receives: count('receives', o.receives, 1, 64),
    timeouts,
    pathBases,
  };
}

export const defaultLimits = {
  maxRequestLineSize: 8192,
  maxRequestHeadersTotalSize: 32768,
  maxRequestHeaderCount: 100,
  maxRequestBodySize: 30_000_000 as number | null,
  keepAliveTimeout: 130_000,
  requestHeadersTimeout: 30_000,
  minRequestBodyDataRate: { bytesPerSecond: 240, gracePeriod: 5_000 } as { bytesPerSecond: number; gracePeriod: number } | null,
  maxConcurrentConnections: null as number | null,
  sendStallTimeout: 30_000,
};

function positiveInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArg(`limits.${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

const U32 = 0xffffffff;

export function resolveLimits(limits: Limits | undefined): NativeLimits {
  if (limits !== undefined && (limits === null || typeof limits !== 'object')) throw invalidArg('options.limits must be an object');
  const known = new Set(Object.keys(defaultLimits));
  for (const key of Object.keys(limits ?? {})) {
    if (!known.has(key)) throw invalidArg(`unknown limit "${key}"`);
  }
  const l = { ...defaultLimits, ...(limits ?? {}) };
  const rate = l.minRequestBodyDataRate;
  if (rate !== null && (typeof rate !== 'object' || rate === undefined)) {
    throw invalidArg('limits.minRequestBodyDataRate must be { bytesPerSecond, gracePeriod } or null');
  }
  return {
    maxRequestLineSize: positiveInt('maxRequestLineSize', l.maxRequestLineSize, 16, 1 << 20),
    maxRequestHeadersTotalSize: positiveInt('maxRequestHeadersTotalSize', l.maxRequestHeadersTotalSize, 64, 1 << 20),
    maxRequestHeaderCount: positiveInt('maxRequestHeaderCount', l.maxRequestHeaderCount, 1, 10_000),
    maxRequestBodySize: l.maxRequestBodySize === null ? null : positiveInt('maxRequestBodySize', l.maxRequestBodySize, 0, Number.MAX_SAFE_INTEGER),
    keepAliveTimeout: positiveInt('keepAliveTimeout', l.keepAliveTimeout, 1, U32),
    requestHeadersTimeout: positiveInt('requestHeadersTimeout', l.requestHeadersTimeout, 1, U32),
    minRequestBodyBytesPerSecond: rate === null ? 0 : positiveInt('minRequestBodyDataRate.bytesPerSecond', rate.bytesPerSecond, 1, U32),
    minRequestBodyGracePeriod: rate === null ? 0 : positiveInt('minRequestBodyDataRate.gracePeriod', rate.gracePeriod, 0, U32),
    maxConcurrentConnections: l.maxConcurrentConnections === null ? 0 : positiveInt('maxConcurrentConnections', l.maxConcurrentConnections, 1, U32),
    sendStallTimeout: positiveInt('sendStallTimeout', l.sendStallTimeout, 1, U32),
  };
}

export interface ListenOptions {
  port?: number;
  /** A name or address; default: "::" (dual-stack), or "0.0.0.0" without IPv6. */
  host?: string;
  backlog?: number;
  /** SO_REUSEPORT: several servers (processes or workers) share the port. */
  reusePort?: boolean;
  /** With an IPv6 host: don't accept IPv4 too. */
  ipv6Only?: boolean;
  /**
   * A Unix domain socket path to listen on instead of a port (Linux backends; no abstract
   * names). An existing file there is an error (EADDRINUSE), as with node:net; stop()
   * removes the file.
   */
  path?: string;
}
