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

export interface ServerOptions {
  /**
   * 'auto' (default) uses io_uring when the kernel allows it and falls back to epoll;
   * 'io_uring' or 'epoll' force one (a forced backend that cannot run is an error).
   * SYSHTTP_BACKEND sets the default.
   */
  backend?: 'auto' | 'io_uring' | 'epoll';
  limits?: Limits;
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
}
