// Helpers for the syshttp/node tests: start a node-style server on an ephemeral port and
// close it (and its connections) when the test ends.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as nodeHttp from 'node:http';
import * as syshttpNode from '../../dist/node/index.js';

// SYSHTTP_TEST_AGAINST_NODE=1 runs the same tests on node:http itself: a check that they
// assert node:http's behaviour (the instanceof checks of syshttp's own classes aside).
export const againstNode = process.env.SYSHTTP_TEST_AGAINST_NODE === '1';
export const createServer = (againstNode ? nodeHttp.createServer : syshttpNode.createServer) as typeof syshttpNode.createServer;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyServer = any;
export type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export interface TeardownHost {
  teardown(fn: () => unknown): void;
}

export interface Started {
  server: AnyServer;
  port: number;
  url: string;
}

/** Closes a node-style server, its connections reset, and waits for 'close' (bounded). */
export async function closeServer(server: AnyServer): Promise<void> {
  if (!server.listening) return;
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await Promise.race([closed, new Promise((r) => setTimeout(r, 3000))]);
}

export async function startNode(t: TeardownHost, listener?: Listener | null, options?: object): Promise<Started> {
  const server: AnyServer = options === undefined ? createServer(listener ?? undefined) : createServer(options, listener ?? undefined);
  t.teardown(() => closeServer(server));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = server.address().port as number;
  return { server, port, url: `http://127.0.0.1:${port}` };
}

/** Starts an already-made server (Express app's listener and so on). */
export async function listenOn(t: TeardownHost, server: AnyServer): Promise<Started> {
  t.teardown(() => closeServer(server));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = server.address().port as number;
  return { server, port, url: `http://127.0.0.1:${port}` };
}

/**
 * The kernel's timer on the server's end of a connection (/proc/net/tcp, IPv4): 'keepalive'
 * when an idle connection has SO_KEEPALIVE (with the seconds left to its first probe),
 * 'off' when it has none.
 */
export function serverSideTimer(serverPort: number, clientPort: number): { timer: string; seconds: number } | null {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !f[1].endsWith(`:${hex(serverPort)}`) || !f[2].endsWith(`:${hex(clientPort)}`)) continue;
    const [tr, when] = f[5].split(':').map((x) => parseInt(x, 16));  // "02:00000BB8"
    return { timer: tr === 2 ? 'keepalive' : tr === 0 ? 'off' : `timer ${tr}`, seconds: when / 100 };
  }
  return null;
}
