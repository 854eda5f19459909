// Loads the addon and describes its surface. The loader tries each place a build can
// put it, and when none works says every path it tried, why, and how to fix it.
import * as path from 'node:path';
import { SyshttpError } from './errors';
import type { NativeWindowsOptions } from './options';

export interface ListenSuccess {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6' | 'unix';
}
export interface ListenFailure {
  errno: number;
  syscall: string;
  message: string;
}

export interface NativeLimits {
  maxRequestLineSize: number;
  maxRequestHeadersTotalSize: number;
  maxRequestHeaderCount: number;
  maxRequestBodySize: number | null;
  keepAliveTimeout: number;
  requestHeadersTimeout: number;
  minRequestBodyBytesPerSecond: number;
  minRequestBodyGracePeriod: number;
  maxConcurrentConnections: number;
  sendStallTimeout: number;
}

export interface NativeBackendOptions {
  backend: 'auto' | 'io_uring' | 'epoll' | 'httpsys';
  /** HTTP.sys settings (lib/options.ts resolveWindowsOptions); other backends ignore them. */
  windows: NativeWindowsOptions;
  ioUringNoMultishotAccept: boolean;
  ioUringDeferTaskrun: boolean;
  ioUringNoBufferRing: boolean;
  /** ConnectionOpen/ConnectionClosed records (Linux backends; the node:http layer asks). */
  connectionEvents: boolean;
  /** Sent on kept-alive responses without an app Connection field; '' for none (Linux backends). */
  keepAliveFields: string;
  /** false: an HTTP/1.1 request without Host is taken (node:http's requireHostHeader: false). */
  requireHost: boolean;
  /** CONNECT is handed over as a tunnel request (the node layer's 'connect'), not answered 501. */
  connectTunnels: boolean;
  /** A method still arriving is refused at its first byte off llhttp's methods (the node layer). */
  llhttpMethods: boolean;
  /** false: an absolute-form target's authority need not match Host (the node layer, as node:http). */
  hostMustMatchTarget: boolean;
  /** A connection that sends nothing before the head timeout gets a 408 too (Linux backends). */
  answerUnusedConnectionTimeout: boolean;
  /** Protocol errors answered with node:http's bytes: status line and Connection: close only (Linux backends). */
  nodeErrorResponses: boolean;
}

export type BatchHandler = (batch: ArrayBuffer, words: number) => void;

export interface NativeServerHandle {
  listen(address: string, port: number, backlog: number, reusePort: boolean, ipv6Only: boolean, path?: string): ListenSuccess | ListenFailure;
  send(connection: number, seq: number, status: number, head: string | null, body: Uint8Array | string | null, flags: number, declaredLength: number): number;
  readBody(connection: number, seq: number, maxBodySize: number | null): number;
  /** HTTP.sys: the kernel may cache the response to `seq` for `ttl` seconds (others ignore it). */
  setResponseCache(connection: number, seq: number, ttl: number): void;
  /** Field lines for kept-alive responses without an app Connection field, from now on (Linux backends). */
  setKeepAliveFields(fields: string, keepAliveTimeoutMs?: number): void;
  /** Refused request heads become raw streams for the app to answer (ClientError records flagged deferred). */
  setDeferClientErrors(on: boolean): void;
  setAllowHalfOpen(on: boolean): void;
  pauseBody(connection: number, seq: number, paused: boolean): number;
  /** Closes the connection now; reset (default true): with an RST, else a plain close. */
  abort(connection: number, reset?: boolean, flushInFlight?: boolean): void;
  /** Upgrade: the connection leaves HTTP in place of a response to `seq`. */
  /** hijack: any request (node's raw socket writes), when it is the only one in flight. */
  /** A SendResult; with takeBuffered and success, the bytes after the head so far instead. */
  detach(connection: number, seq: number, hijack?: boolean, takeBuffered?: boolean): number | Buffer;
  /** An upgrade behind responses not complete yet: what came after its head so far (detach() takes it again later), or a SendResult. */
  peekUpgrade(connection: number, seq: number): number | Buffer;
  writeRaw(connection: number, data: Uint8Array): number;
  /** close: the stream was destroyed: flush what was written, then close (no reset). */
  endRaw(connection: number, close?: boolean): number;
  pauseRaw(connection: number, paused: boolean): void;
  /** keepConnections: only the listeners close (node:http's close()); Linux backends. */
  beginShutdown(keepConnections?: boolean): void;
  /** Undoes beginShutdown(true) before its ShutdownComplete was taken; false where it cannot. */
  resumeAfterShutdown(): boolean;
  closeAll(): void;
  close(): void;
  connectionCount(): number;
  /** [bytesRead, bytesWritten, queued (not yet written)] of a connection, or undefined (gone, or HTTP.sys). */
  byteCounts(connection: number): [number, number, number] | undefined;
  /** From now on, a copy of what the connection receives (InputCopy records), still parsed; paused: none for now, and no reading meanwhile (Linux backends). */
  mirrorInput(connection: number, paused: boolean): void;
  /** Whether the server keeps the event loop alive. */
  setRef(ref: boolean): void;
  /** Whether an open connection keeps the process alive (socket.ref()/unref(); Linux backends). */
  setConnectionRef(connection: number, ref: boolean): void;
  /** TCP_NODELAY of a connection (socket.setNoDelay()): 0 or an errno (ENOTSUP on HTTP.sys, which owns its sockets). */
  setNoDelay(connection: number, on: boolean): number;
  /** SO_KEEPALIVE of a connection, probes after delaySeconds idle (0: the kernel's), as libuv sets them: 0 or an errno. */
  setKeepAlive(connection: number, on: boolean, delaySeconds: number): number;
  backendName(): string;
  backendInfo(): { name: string; detail: string; fallbackReason: string };
}

export interface NativeConstants {
  RECORD_REQUEST: number;
  RECORD_BODY: number;
  RECORD_BODY_END: number;
  RECORD_BODY_ERROR: number;
  RECORD_DRAIN: number;
  RECORD_ABORT: number;
  RECORD_SHUTDOWN_COMPLETE: number;
  RECORD_RAW: number;
  RECORD_RAW_END: number;
  RECORD_CLIENT_ERROR: number;
  RECORD_CONNECTION_OPEN: number;
  RECORD_CONNECTION_CLOSED: number;
  RECORD_INPUT_COPY: number;
  REQUEST_HTTP10: number;
  REQUEST_KEEP_ALIVE: number;
  REQUEST_HAS_BODY: number;
  REQUEST_CHUNKED: number;
  REQUEST_EXPECT_CONTINUE: number;
  REQUEST_UPGRADE: number;
  REQUEST_HAS_CONTENT_LENGTH: number;
  REQUEST_NO_HOST: number;
  /** The field lines are byte for byte those of the connection's request seq - 1 (Linux backends). */
  REQUEST_SAME_FIELDS: number;
  SEND_END: number;
  SEND_HAS_DATE: number;
  SEND_CLOSE: number;
  SEND_HAS_CONNECTION: number;
  SEND_TRAILERS: number;
  SEND_HAS_KEEP_ALIVE: number;
  CLIENT_ERROR_DEFERRED: number;
  SEND_NO_LENGTH: number;
  SEND_NO_CHUNKED: number;
  /** Close after this response, the server's decision: the native side says Connection: close. */
  SEND_CLOSE_AFTER: number;
  /** The app's Transfer-Encoding line (ending in chunked) is in the head: chunk the body without the server's line. */
  SEND_APP_CHUNKED: number;
  /** A 1xx status as the final response (node:http's writeHead(101)): no body, then a close. */
  SEND_FINAL_INFORMATIONAL: number;
}

export interface Binding {
  NativeServer: new (options: NativeLimits & NativeBackendOptions, onBatch: BatchHandler) => NativeServerHandle;
  constants: NativeConstants;
  backends: string;
}

// Results of NativeServer#send (native/http/connection.h SendResult).
export const SendResult = {
  Ok: 0,
  Full: 1,
  Gone: -1,
  UnknownRequest: -2,
  LengthMismatch: -3,
  Ended: -4,
  BadStatus: -5,
  NotUpgradable: -6,
} as const;

const packageRoot = path.resolve(__dirname, '..');

function candidates(): string[] {
  const list: string[] = [];
  if (process.env.SYSHTTP_NATIVE_PATH) list.push(path.resolve(process.env.SYSHTTP_NATIVE_PATH));
  for (const dir of ['build/Release', 'build/Debug', 'build']) {
    list.push(path.join(packageRoot, dir, 'syshttp.node'));
  }
  list.push(path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'syshttp.node'));
  return list;
}

let cached: Binding | undefined;

export function loadBinding(): Binding {
  if (cached) return cached;
  const tried: string[] = [];
  for (const file of candidates()) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const binding = require(file) as Binding;
      // The addon builds its constants object a property at a time, which leaves V8 a
      // dictionary-mode object: every read of one (a few per request) would be a hash
      // lookup. A spread copy has fast properties.
      cached = { ...binding, constants: { ...binding.constants } };
      return cached;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      tried.push(`  ${file}: ${e.code === 'MODULE_NOT_FOUND' ? 'not found' : e.message}`);
    }
  }
  throw new SyshttpError(
    'SYSHTTP_ERR_NATIVE_LOAD',
    `syshttp.node was not found or failed to load (${process.platform}-${process.arch}, Node ${process.version}).\n` +
      `Tried:\n${tried.join('\n')}\n` +
      'To fix: build it with `npm rebuild syshttp` (or `npm run build:native` in a checkout). ' +
      'That needs python3, make and a C++20 compiler (g++ >= 10 or clang >= 12); on Debian/Ubuntu: ' +
      '`apt-get install -y python3 make g++`. Set SYSHTTP_NATIVE_PATH to load a build from elsewhere.',
  );
}
