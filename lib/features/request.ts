// IHttpRequestFeature: the request line, headers and body, decoded on first use.
import { featureKey } from '../feature-collection';
import { RequestHeaders } from '../headers';
import { readAll } from '../request-body';
import type { Exchange } from '../exchange';
import type { Readable } from 'node:stream';

export interface IHttpRequestFeature {
  readonly method: string;
  readonly scheme: string;
  readonly protocol: string;
  readonly pathBase: string;
  /** The path, percent-decoded except for %2F (so segments stay segments). */
  readonly path: string;
  /** "?…" or "" */
  readonly queryString: string;
  /** The request target exactly as sent. */
  readonly rawTarget: string;
  readonly headers: RequestHeaders;
  readonly contentLength: number | undefined;
  readonly body: Readable;
  /** Trailer fields of a chunked body, once the body has been read to its end. */
  readonly trailers: ReadonlyMap<string, string> | null;
  text(): Promise<string>;
  json(): Promise<unknown>;
  buffer(): Promise<Buffer>;
}
export const HttpRequestFeature = featureKey<IHttpRequestFeature>('HttpRequestFeature');

// Percent-escapes other than %2F, decoded as UTF-8; a malformed sequence stays as sent.
const ESCAPES = /(?:%(?![2][fF])[0-9A-Fa-f]{2})+/g;
function decodePath(raw: string): string {
  if (raw.indexOf('%') === -1) return raw;
  return raw.replace(ESCAPES, (m) => {
    try {
      return decodeURIComponent(m);
    } catch {
      return m;
    }
  });
}

export class RequestFeature implements IHttpRequestFeature {
  private target: string | null = null;
  private pathValue: string | null = null;
  private query: string | null = null;
  private headerView: RequestHeaders | null = null;
  private methodValue: string | null = null;
  readonly scheme = 'http';
  readonly pathBase = '';

  constructor(private readonly ex: Exchange) {}

  get method(): string {
    return (this.methodValue ??= this.ex.method);
  }
  get protocol(): string {
    return this.ex.has(this.ex.host.constants.REQUEST_HTTP10) ? 'HTTP/1.0' : 'HTTP/1.1';
  }
  get rawTarget(): string {
    return (this.target ??= this.ex.rawTarget);
  }
  private split(): void {
    let t = this.rawTarget;
    const q = t.indexOf('?');
    this.query = q === -1 ? '' : t.slice(q);
    if (q !== -1) t = t.slice(0, q);
    if (t[0] !== '/') {
      // absolute-form "http://host/path", or "*" / authority-form: no origin path
      const scheme = t.indexOf('://');
      if (scheme !== -1) {
        const slash = t.indexOf('/', scheme + 3);
        t = slash === -1 ? '/' : t.slice(slash);
      } else {
        t = '';
      }
    }
    this.pathValue = decodePath(t);
  }
  get path(): string {
    if (this.pathValue === null) this.split();
    return this.pathValue as string;
  }
  get queryString(): string {
    if (this.query === null) this.split();
    return this.query as string;
  }
  get headers(): RequestHeaders {
    return (this.headerView ??= new RequestHeaders(this.ex.bytes, this.ex.words, this.ex.firstFieldWord, this.ex.fieldCount));
  }
  get contentLength(): number | undefined {
    return this.ex.contentLength;
  }
  get body(): Readable {
    return this.ex.body;
  }
  get trailers(): ReadonlyMap<string, string> | null {
    return this.ex.trailers;
  }
  buffer(): Promise<Buffer> {
    return readAll(this.ex.body);
  }
  async text(): Promise<string> {
    return (await this.buffer()).toString('utf8');
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}
