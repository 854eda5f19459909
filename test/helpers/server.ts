// Server-side helpers for the integration tests: start a syshttp server on an ephemeral
// port and stop it (and every raw client opened through here) when the test ends.
import { spawnSync, execFile } from 'node:child_process';
import net from 'node:net';
import { createServer } from '../../dist/index.js';
import { RawClient, hasConnectionToken, type RawResult } from './raw';

export * from './raw';

// Handlers and middleware are typed loosely on purpose: the tests are written against the
// documented API, not against the exact declaration types of lib/.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Ctx = any;
export type Handler = (ctx: Ctx) => unknown;
export type Middleware = (ctx: Ctx, next: () => Promise<void>) => unknown;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyServer = any;

/** The part of a tap Test used here. */
export interface TeardownHost {
  teardown(fn: () => unknown): void;
}

export interface StartOptions {
  host?: string; // default '127.0.0.1'
  port?: number; // default 0
  backlog?: number;
  reusePort?: boolean;
  middleware?: Middleware[]; // server.use()d in order, before listen
  onError?: (err: unknown, ctx: Ctx) => void; // server.on('error') listener
  stopTimeout?: number; // for the teardown stop(), default 2000 ms
}

export interface StartedServer {
  server: AnyServer;
  port: number;
  host: string;
  url: string; // 'http://127.0.0.1:PORT' or 'http://[::1]:PORT'
  address: { address: string; family: string; port: number };
}

/**
 * createServer(handler, serverOptions) (or createServer(serverOptions) / createServer() when
 * `handler` is null), use() the middleware, listen on an ephemeral port, stop in teardown.
 */
export async function startServer(
  t: TeardownHost,
  handler?: Handler | null,
  serverOptions?: object,
  opts: StartOptions = {},
): Promise<StartedServer> {
  let server: AnyServer;
  if (handler) {
    server = serverOptions === undefined ? createServer(handler as never) : createServer(handler as never, serverOptions as never);
  } else {
    server = serverOptions === undefined ? createServer() : createServer(serverOptions as never);
  }
  for (const mw of opts.middleware ?? []) server.use(mw);
  if (opts.onError) server.on('error', opts.onError);
  t.teardown(() => stopQuietly(server, opts.stopTimeout ?? 2000));

  const host = opts.host ?? '127.0.0.1';
  const listenOptions: Record<string, unknown> = { port: opts.port ?? 0, host };
  if (opts.backlog !== undefined) listenOptions.backlog = opts.backlog;
  if (opts.reusePort !== undefined) listenOptions.reusePort = opts.reusePort;
  const address = await server.listen(listenOptions);
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, port: address.port, host, address, url: `http://${urlHost}:${address.port}` };
}

export async function stopQuietly(server: AnyServer, timeout = 2000): Promise<void> {
  try {
    await server.stop({ timeout });
  } catch {
    // already stopped, or never started
  }
}

/** A RawClient destroyed when the test ends. */
export async function openRaw(t: TeardownHost, port: number, host = '127.0.0.1'): Promise<RawClient> {
  const c = await RawClient.connect(port, host);
  t.teardown(() => c.destroy());
  return c;
}

/** Whether this machine can bind the IPv6 loopback address. */
export function ipv6LoopbackAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}

/** An ephemeral TCP port held by a plain node:net server until teardown. */
export function occupyPort(t: TeardownHost, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer((sock) => sock.destroy());
    s.once('error', reject);
    s.listen(0, host, () => {
      t.teardown(() => new Promise<void>((r) => s.close(() => r())));
      resolve((s.address() as net.AddressInfo).port);
    });
  });
}

export const hasCurl: boolean = (() => {
  try {
    return spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
  } catch {
    return false;
  }
})();

export interface CurlResult {
  code: number; // curl's exit status (0 = transfer ok)
  stdout: Buffer;
  stderr: string;
}

export function curl(args: string[], timeoutMs = 60_000): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      args,
      { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout: stdout as Buffer, stderr: (stderr as Buffer).toString('utf8') });
      },
    );
  });
}

/** The assertions of a tap Test used by the helpers below. */
export interface Asserts {
  equal(found: unknown, wanted: unknown, message?: string): unknown;
  ok(value: unknown, message?: string): unknown;
}

/**
 * A protocol error answered the precomputed way: exactly one response with `status` and
 * `Connection: close`, then the server closed the connection.
 */
export function expectRejected(t: Asserts, r: RawResult, status: number, what: string): void {
  t.equal(r.parsed.responses.length, 1, `${what}: exactly one response`);
  const res = r.parsed.responses[0];
  t.equal(res?.status, status, `${what}: status ${status}`);
  t.ok(res !== undefined && hasConnectionToken(res, 'close'), `${what}: Connection: close`);
  t.ok(r.closed, `${what}: the server closed the connection`);
}
