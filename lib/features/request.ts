// IHttpRequestFeature: the request line, headers and body, decoded on first use.
import { featureKey } from '../feature-collection';
import { RequestHeaders } from '../headers';
import { readAll } from '../request-body';
import { SyshttpError } from '../errors';
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

// Percent-escapes are decoded as UTF-8, except %2F (it would turn into a segment
// separator) and %00; an escape that is not part of valid UTF-8 stays as sent. Then
// dot segments are removed (RFC 3986 §5.2.4), as Kestrel does, so "/a/%2e%2e/b" is "/b".
const ESCAPE_RUN = /(?:%[0-9A-Fa-f]{2})+/g;
const KEPT = new Set(['%2f', '%00']);

function decodeRun(run: string): string {
  try {
    if (!/%2[fF]|%00/.test(run)) return decodeURIComponent(run);
  } catch {
    // fall through: decode what can be decoded, escape by escape
  }
  let out = '';
  for (let i = 0; i < run.length; ) {
    let done = false;
    // The longest valid UTF-8 sequence (1 to 4 escapes) starting here.
    for (let n = 4; n >= 1 && !done; n--) {
      const piece = run.slice(i, i + 3 * n);
      if (piece.length !== 3 * n) continue;
      if (n === 1 && KEPT.has(piece.toLowerCase())) break;
      try {
        out += decodeURIComponent(piece);
        i += 3 * n;
        done = true;
      } catch {
        // shorter
      }
    }
    if (!done) {
      out += run.slice(i, i + 3);
      i += 3;
    }
  }
  return out;
}

function removeDotSegments(path: string): string {
  if (path.indexOf('.') === -1) return path;
  const input = path.split('/');
  const out: string[] = [];
  for (let i = 0; i < input.length; i++) {
    const seg = input[i];
    if (seg === '.') {
      if (i === input.length - 1) out.push('');
    } else if (seg === '..') {
      if (out.length > 1) out.pop();
      if (i === input.length - 1) out.push('');
    } else {
      out.push(seg);
    }
  }
  const joined = out.join('/');
  return joined.startsWith('/') || path[0] !== '/' ? joined : `/${joined}`;
}

function decodePath(raw: string): string {
  const decoded = raw.indexOf('%') === -1 ? raw : raw.replace(ESCAPE_RUN, decodeRun);
  return removeDotSegments(decoded);
}

// The longest prefix path that `path` is under ("/app" for "/app" and "/app/x", not for
// "/apple"), compared without case as HTTP.sys matches URLs. Prefixes that differ only by
// host share one path list here: a host-specific prefix is matched by its path alone.
function matchPathBase(path: string, bases: readonly string[]): string {
  let best = '';
  if (bases.length === 0) return best;
  const lower = path.toLowerCase();
  for (const b of bases) {
    if (b.length <= best.length) continue;
    const lb = b.toLowerCase();
    if (lower.startsWith(lb) && (lower.length === lb.length || lower[lb.length] === '/')) best = path.slice(0, b.length);
  }
  return best;
}

export class RequestFeature implements IHttpRequestFeature {
  private target: string | null = null;
  private pathValue: string | null = null;
  private query: string | null = null;
  private headerView: RequestHeaders | null = null;
  private methodValue: string | null = null;
  private base: string | null = null;
  readonly scheme = 'http';

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
    const path = decodePath(t);
    this.base = matchPathBase(path, this.ex.host.pathBases);
    this.pathValue = this.base === '' ? path : path.slice(this.base.length) || '/';
  }
  /**
   * The path of the URL prefix the request matched (HTTP.sys, windows.urlPrefixes), as
   * ASP.NET Core's HTTP.sys server does; "" otherwise. `path` is the rest.
   */
  get pathBase(): string {
    if (this.base === null) this.split();
    return this.base as string;
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
  /** The whole body. Once: a second call (or a call after the stream was read) throws SYSHTTP_ERR_BODY_STARTED. */
  buffer(): Promise<Buffer> {
    if (this.ex.bodyStarted || this.ex.body.readableDidRead) {
      return Promise.reject(new SyshttpError('SYSHTTP_ERR_BODY_STARTED', 'the body was already read'));
    }
    return readAll(this.ex.body);
  }
  async text(): Promise<string> {
    return (await this.buffer()).toString('utf8');
  }
  /** The body parsed as JSON; malformed JSON is a SYSHTTP_ERR_BAD_REQUEST with status 400. */
  async json(): Promise<unknown> {
    const text = await this.text();
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new SyshttpError('SYSHTTP_ERR_BAD_REQUEST', `invalid JSON: ${(err as Error).message}`, { status: 400, cause: err });
    }
  }
}
