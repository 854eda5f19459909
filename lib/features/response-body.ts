// IHttpResponseBodyFeature: writing the body. write() resolves when the bytes are
// queued below the high-water mark, or after the socket drained (backpressure).
import { createReadStream, promises as fs } from 'node:fs';
import { featureKey } from '../feature-collection';
import { SyshttpError } from '../errors';
import type { Chunk, Exchange } from '../exchange';

export interface SendFileOptions {
  offset?: number;
  length?: number;
}

export interface IHttpResponseBodyFeature {
  write(chunk: Chunk): Promise<void>;
  /** Sends the head now (status and headers become read-only). */
  start(): Promise<void>;
  /** Ends the response, with an optional last chunk. */
  complete(chunk?: Chunk | null): Promise<void>;
  sendFile(path: string, options?: SendFileOptions): Promise<void>;
}
export const HttpResponseBodyFeature = featureKey<IHttpResponseBodyFeature>('HttpResponseBodyFeature');

export class ResponseBodyFeature implements IHttpResponseBodyFeature {
  constructor(private readonly ex: Exchange) {}

  write(chunk: Chunk): Promise<void> {
    return this.ex.write(chunk);
  }
  start(): Promise<void> {
    return this.ex.start();
  }
  complete(chunk?: Chunk | null): Promise<void> {
    return this.ex.end(chunk);
  }
  async sendFile(path: string, options: SendFileOptions = {}): Promise<void> {
    const stat = await fs.stat(path);
    if (!stat.isFile()) throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', `${path} is not a file`);
    const offset = options.offset ?? 0;
    const length = options.length ?? stat.size - offset;
    if (offset < 0 || length < 0 || offset + length > stat.size) {
      throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', 'offset/length outside the file');
    }
    if (!this.ex.started && !this.ex.headers.has('content-length')) {
      this.ex.headers.set('content-length', length);
    }
    if (length > 0) {
      const stream = createReadStream(path, { start: offset, end: offset + length - 1, highWaterMark: 64 * 1024 });
      for await (const chunk of stream) {
        if (this.ex.aborted) {
          stream.destroy();
          break;
        }
        await this.ex.write(chunk as Buffer);
      }
    }
  }
}
