// IHttpConnectionFeature: who is talking to whom. Decoded from the batch on first use.
import { featureKey } from '../feature-collection';
import type { Exchange } from '../exchange';

export interface IHttpConnectionFeature {
  /** Unique among this server's open connections. */
  readonly id: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}
export const HttpConnectionFeature = featureKey<IHttpConnectionFeature>('HttpConnectionFeature');

interface Endpoint {
  address: string;
  port: number;
}

// The address string of the last endpoint decoded at each place (local, remote): a
// server's local address is one of a few, and clients mostly come through the same
// proxies, so a connection usually reuses a string instead of formatting a new one.
class AddressMemo {
  private readonly key = Buffer.alloc(17);
  private address: string | null = null;

  get(bytes: Buffer, at: number): string {
    const key = this.key;
    if (this.address !== null && bytes[at] === key[0]) {
      let same = true;
      for (let i = 0; i < 16 && same; i++) same = bytes[at + 4 + i] === key[1 + i];
      if (same) return this.address;
    }
    key[0] = bytes[at];
    bytes.copy(key, 1, at + 4, at + 20);
    return (this.address = format(bytes, at));
  }
}
const localMemo = new AddressMemo();
const remoteMemo = new AddressMemo();

// 20 packed bytes: family (4|6), 0, port (LE), 16 address bytes (native/backends/linux/socket_address.h).
function decode(bytes: Buffer, at: number, memo: AddressMemo): Endpoint {
  const port = bytes[at + 2] | (bytes[at + 3] << 8);
  return { address: memo.get(bytes, at), port };
}

function format(bytes: Buffer, at: number): string {
  if (bytes[at] === 4) return `${bytes[at + 4]}.${bytes[at + 5]}.${bytes[at + 6]}.${bytes[at + 7]}`;
  if (bytes[at] === 6) {
    const a = at + 4;
    // IPv4-mapped (::ffff:a.b.c.d) is shown the way node:net shows it.
    let mapped = bytes[a + 10] === 0xff && bytes[a + 11] === 0xff;
    for (let i = 0; i < 10 && mapped; i++) mapped = bytes[a + i] === 0;
    if (mapped) return `::ffff:${bytes[a + 12]}.${bytes[a + 13]}.${bytes[a + 14]}.${bytes[a + 15]}`;
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[a + i] << 8) | bytes[a + i + 1]).toString(16));
    return compress(groups);
  }
  return '';
}

// RFC 5952: the longest run of zero groups (two or more) becomes "::".
function compress(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart === -1) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

/** @internal Both ends of a connection from the 40 packed bytes at `at` (local, then remote). */
export function decodeEndpoints(bytes: Buffer, at: number): { localAddress: string; localPort: number; remoteAddress: string; remotePort: number } {
  const local = decode(bytes, at, localMemo);
  const remote = decode(bytes, at + 20, remoteMemo);
  return { localAddress: local.address, localPort: local.port, remoteAddress: remote.address, remotePort: remote.port };
}

export class ConnectionFeature implements IHttpConnectionFeature {
  private local: Endpoint | null = null;
  private remote: Endpoint | null = null;

  constructor(private readonly ex: Exchange) {}

  get id(): string {
    return this.ex.connection.toString(36).toUpperCase();
  }
  private get localEndpoint(): Endpoint {
    return (this.local ??= decode(this.ex.bytes, this.ex.addressOffset, localMemo));
  }
  private get remoteEndpoint(): Endpoint {
    return (this.remote ??= decode(this.ex.bytes, this.ex.addressOffset + 20, remoteMemo));
  }
  get localAddress(): string {
    return this.localEndpoint.address;
  }
  get localPort(): number {
    return this.localEndpoint.port;
  }
  get remoteAddress(): string {
    return this.remoteEndpoint.address;
  }
  get remotePort(): number {
    return this.remoteEndpoint.port;
  }
}
