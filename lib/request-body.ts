// The request body as a Readable. It pulls: nothing is read from the socket for this
// request until the stream is read (which is also when a 100 Continue goes out), and
// when the stream's buffer is full the native side stops reading the socket.
import { Readable } from 'node:stream';
import type { Exchange } from './exchange';

export class RequestBody extends Readable {
  private requested = false;
  private paused = false;
  /** Every byte has been pushed (the body's end was seen). */
  complete = false;

  constructor(private readonly exchange: Exchange, hasBody: boolean) {
    super({ highWaterMark: 64 * 1024 });
    if (!hasBody) {
      this.complete = true;
      this.push(null);
    }
  }

  /** Whether reading has begun (the per-request body limit is fixed from then on). */
  get started(): boolean {
    return this.requested;
  }

  override _read(): void {
    if (!this.requested) {
      this.requested = true;
      this.exchange.startBody();
    } else if (this.paused) {
      this.paused = false;
      this.exchange.pauseBody(false);
    }
  }

  /** @internal bytes from the batch */
  deliver(chunk: Buffer): void {
    if (this.destroyed) return;
    if (!this.push(chunk) && !this.paused) {
      this.paused = true;
      this.exchange.pauseBody(true);
    }
  }

  /** @internal */
  finish(): void {
    this.complete = true;
    this.push(null);
  }
}

export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    chunks.push(b);
    length += b.length;
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
}
