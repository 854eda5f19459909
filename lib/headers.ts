// Request headers (decoded lazily from the batch bytes) and response headers (validated
// on the way in, serialised once when the response starts).
import { SyshttpError } from './errors';

/** Read-only view of the request's header fields. Names are case-insensitive. */
export class RequestHeaders implements Iterable<[string, string]> {
  private map: Map<string, string[]> | null = null;
  private rawList: string[] | null = null;

  /** @internal fields: (nameOff, nameLen, valueOff, valueLen)* in `words` from `first`. */
  constructor(
    private readonly bytes: Buffer,
    private readonly words: Uint32Array,
    private readonly first: number,
    private readonly count: number,
  ) {}

  private build(): Map<string, string[]> {
    const map = new Map<string, string[]>();
    const raw: string[] = [];
    const { bytes, words } = this;
    for (let i = 0, w = this.first; i < this.count; i++, w += 4) {
      const name = bytes.toString('latin1', words[w], words[w] + words[w + 1]);
      const value = bytes.toString('latin1', words[w + 2], words[w + 2] + words[w + 3]);
      raw.push(name, value);
      const key = name.toLowerCase();
      const list = map.get(key);
      if (list) list.push(value);
      else map.set(key, [value]);
    }
    this.map = map;
    this.rawList = raw;
    return map;
  }

  /** The field's value; repeated fields are joined with ", " ("; " for Cookie). */
  get(name: string): string | undefined {
    const key = String(name).toLowerCase();
    const list = (this.map ?? this.build()).get(key);
    if (!list) return undefined;
    if (list.length === 1) return list[0];
    return list.join(key === 'cookie' ? '; ' : ', ');
  }

  getAll(name: string): string[] {
    return [...((this.map ?? this.build()).get(String(name).toLowerCase()) ?? [])];
  }

  has(name: string): boolean {
    return (this.map ?? this.build()).has(String(name).toLowerCase());
  }

  get size(): number {
    return (this.map ?? this.build()).size;
  }

  /** Names and values as received, in order: [name0, value0, name1, value1, …]. */
  get raw(): readonly string[] {
    if (this.rawList === null) this.build();
    return this.rawList as string[];
  }

  keys(): IterableIterator<string> {
    return (this.map ?? this.build()).keys();
  }

  *entries(): IterableIterator<[string, string]> {
    for (const key of (this.map ?? this.build()).keys()) yield [key, this.get(key) as string];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.entries());
  }
}

// RFC 9110 §5.6.2 token characters.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: HTAB, visible ASCII, SP and obs-text only (RFC 9110 §5.5; node:http's rule).
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** A Transfer-Encoding whose last coding is chunked. */
const TE_CHUNKED = /(?:^|,)[ \t]*chunked[ \t]*$/i;
const DIGITS = /^\d{1,15}$/;

// Names already checked against TOKEN, with their lower-case key. Apps set the same few
// names on every response; the cache is bounded so odd names cannot grow it forever.
const checkedNames = new Map<string, string>();
const CHECKED_NAMES_MAX = 512;

function keyOf(name: string): string | undefined {
  const known = checkedNames.get(name);
  if (known !== undefined) return known;
  if (typeof name !== 'string' || !TOKEN.test(name)) return undefined;
  const key = name.toLowerCase();
  if (checkedNames.size < CHECKED_NAMES_MAX) checkedNames.set(name, key);
  return key;
}

// SP or HTAB at either end (the only whitespace a field value may be trimmed of).
function needsTrim(s: string): boolean {
  if (s.length === 0) return false;
  const a = s.charCodeAt(0);
  const b = s.charCodeAt(s.length - 1);
  return a === 0x20 || a === 0x09 || b === 0x20 || b === 0x09;
}

/** A field value trimmed of SP/HTAB at its ends, refused if it holds a character no field value may. */
function checkedValue(name: string, s: string): string {
  if (needsTrim(s)) s = s.replace(/^[ \t]+|[ \t]+$/g, '');
  if (BAD_VALUE.test(s)) {
    throw new SyshttpError('SYSHTTP_ERR_INVALID_HEADER', `invalid character in header "${name}"`);
  }
  return s;
}

function badLength(values: string): SyshttpError {
  return new SyshttpError('SYSHTTP_ERR_INVALID_HEADER', `Content-Length must be one non-negative integer, got "${values}"`);
}

export type HeaderValue = string | number | readonly (string | number)[];

interface Entry {
  name: string;
  values: string[];
}

/** Response header fields. Modifying them after the response started throws. */
export class ResponseHeaders implements Iterable<[string, string]> {
  // Made on first use: many responses never set a field.
  private fields: Map<string, Entry> | null = null;
  /** @internal */
  locked = false;

  private get map(): Map<string, Entry> {
    return (this.fields ??= new Map());
  }

  private check(name: string): string {
    if (this.locked) throw new SyshttpError('SYSHTTP_ERR_RESPONSE_STARTED', `cannot change header "${name}"`);
    const key = keyOf(name);
    if (key === undefined) {
      throw new SyshttpError('SYSHTTP_ERR_INVALID_HEADER', `invalid header name ${JSON.stringify(name)}`);
    }
    return key;
  }

  private static value(name: string, v: unknown): string {
    if (typeof v !== 'string' && typeof v !== 'number') {
      throw new SyshttpError('SYSHTTP_ERR_INVALID_HEADER', `invalid value for header "${name}"`);
    }
    return checkedValue(name, typeof v === 'string' ? v : String(v));
  }

  private static values(name: string, value: HeaderValue): string[] {
    if (!Array.isArray(value)) return [ResponseHeaders.value(name, value)];
    const out: string[] = [];
    for (const v of value as unknown[]) out.push(ResponseHeaders.value(name, v));
    return out;
  }

  private static checkLength(key: string, values: string[]): void {
    if (key === 'content-length' && (values.length !== 1 || !DIGITS.test(values[0]))) throw badLength(values.join(', '));
  }

  /** Sets the field, replacing earlier values; an empty array removes it. */
  set(name: string, value: HeaderValue): this {
    const key = this.check(name);
    const values = ResponseHeaders.values(name, value);
    if (values.length === 0) {
      this.fields?.delete(key);
      return this;
    }
    ResponseHeaders.checkLength(key, values);
    this.map.set(key, { name, values });
    return this;
  }

  append(name: string, value: HeaderValue): this {
    const key = this.check(name);
    const values = ResponseHeaders.values(name, value);
    if (values.length === 0) return this;
    const entry = this.fields?.get(key);
    ResponseHeaders.checkLength(key, entry ? [...entry.values, ...values] : values);
    if (entry) entry.values.push(...values);
    else this.map.set(key, { name, values });
    return this;
  }

  get(name: string): string | undefined {
    if (this.fields === null) return undefined;
    const entry = this.fields.get(String(name).toLowerCase());
    return entry ? entry.values.join(', ') : undefined;
  }

  /** @internal get() by a key known to be lower case (the server's own lookups). */
  getLower(key: string): string | undefined {
    const entry = this.fields?.get(key);
    return entry ? (entry.values.length === 1 ? entry.values[0] : entry.values.join(', ')) : undefined;
  }

  getAll(name: string): string[] {
    return [...(this.fields?.get(String(name).toLowerCase())?.values ?? [])];
  }

  has(name: string): boolean {
    return this.fields !== null && this.fields.has(String(name).toLowerCase());
  }

  delete(name: string): boolean {
    const key = this.check(name);
    return this.fields !== null && this.fields.delete(key);
  }

  clear(): void {
    if (this.locked) throw new SyshttpError('SYSHTTP_ERR_RESPONSE_STARTED', 'cannot clear headers');
    this.fields?.clear();
  }

  /** The number of distinct fields. */
  get size(): number {
    return this.fields === null ? 0 : this.fields.size;
  }

  *entries(): IterableIterator<[string, string]> {
    if (this.fields === null) return;
    for (const [key, e] of this.fields) yield [key, e.values.join(', ')];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** @internal "Name: value\r\n" for every field line, leaving out Transfer-Encoding (framing is the server's). */
  serialize(): string {
    if (this.fields === null) return '';
    let out = '';
    for (const [key, e] of this.fields) {
      if (key === 'transfer-encoding') continue;
      const values = e.values;
      for (let i = 0; i < values.length; i++) out += e.name + ': ' + values[i] + '\r\n';
    }
    return out;
  }
}

/** What FieldLines remembers of a name: its key, and the last value given with it. */
interface NameSlot {
  key: string;
  /** The last string or number given (another type is never remembered). */
  raw: unknown;
  /** Its checked value and its whole line, made once for as long as the value repeats. */
  value: string;
  line: string;
}

// Apps answer with the same few fields, often the very same values (a shared headers
// object): a name's last value and line are kept, so a repeat is one comparison instead of
// the character checks and the string building. Bounded, as checkedNames.
const nameSlots = new Map<string, NameSlot>();

/** No value remembered yet (not even `undefined`, which is converted like any other). */
const NOTHING = Symbol('nothing');

function slotOf(name: string): NameSlot | undefined {
  const known = nameSlots.get(name);
  if (known !== undefined) return known;
  const key = keyOf(name);
  if (key === undefined) return undefined;
  const slot: NameSlot = { key, raw: NOTHING, value: '', line: '' };
  if (nameSlots.size < CHECKED_NAMES_MAX) nameSlots.set(name, slot);
  return slot;
}

/**
 * @internal Response field lines written straight into one string, in the order given,
 * with ResponseHeaders' checks (token names, field-value characters, one numeric
 * Content-Length; Transfer-Encoding left out: framing is the server's), noting what the
 * native send needs to know. The node:http layer's writeHead builds its head with one of
 * these instead of a ResponseHeaders: no map, no entry per field.
 *
 * When a response's lines are the previous response's, `lines` is the very same string
 * (already flattened by the native copy of the last head), not a new concatenation.
 */
export class FieldLines {
  hasDate = false;
  hasTrailer = false;
  /** The app set its own Keep-Alive field (the server announces only Connection: keep-alive). */
  hasKeepAlive = false;
  /** The app removed Connection (node's removeHeader('connection')): the server adds none. */
  connectionRemoved = false;
  /** The Connection: close among the lines only announces (node's maxRequestsPerSocket): no close follows. */
  closeAnnounced = false;
  /** node's removeHeader('content-length') / ('transfer-encoding'): the server adds neither framing field of that kind. */
  noLength = false;
  noChunked = false;
  /** The server closes the connection after this response, and says so (not one of these lines). */
  closeAfter = false;
  /** The app's Transfer-Encoding ends in chunked (node:http then frames the body chunked). */
  teChunked = false;
  /** The app's Transfer-Encoding lines, kept out of `lines` unless keepTransferEncoding(). */
  teLines = '';
  /** keepTransferEncoding() kept lines ending in chunked: the server chunks under them. */
  appChunked = false;
  /** A 1xx status is the final response (node:http sends one so): no body, then a close. */
  finalInformational = false;
  /** The Connection values, joined with ", " when repeated. */
  connection: string | undefined = undefined;
  contentLength: string | undefined = undefined;
  private parts: string[] = [];
  private count = 0;
  /** The lines last joined, from parts[0, joinedCount); -1 once a part differs from them. */
  private joined = '';
  private joinedCount = 0;

  reset(): void {
    this.hasDate = false;
    this.hasTrailer = false;
    this.hasKeepAlive = false;
    this.connectionRemoved = false;
    this.closeAnnounced = false;
    this.noLength = false;
    this.noChunked = false;
    this.closeAfter = false;
    this.teChunked = false;
    this.teLines = '';
    this.appChunked = false;
    this.finalInformational = false;
    this.connection = undefined;
    this.contentLength = undefined;
    this.count = 0;
  }

  /** "Name: value\r\n" for every field line added since reset(). */
  get lines(): string {
    if (this.count === this.joinedCount) return this.joined;
    const parts = this.parts;
    let out = '';
    for (let i = 0; i < this.count; i++) out += parts[i];
    this.joined = out;
    this.joinedCount = this.count;
    return out;
  }

  /**
   * The app's Transfer-Encoding lines go out after the others, as node:http sends them:
   * ending in chunked, the server chunks the body under them (not a line of its own);
   * otherwise nothing frames the body and the connection's close ends it (RFC 9112 §6.3).
   */
  keepTransferEncoding(): void {
    const i = this.count++;
    if (this.parts[i] !== this.teLines) {
      this.parts[i] = this.teLines;
      this.joinedCount = -1;
    }
    if (this.teChunked) {
      this.appChunked = true;
    } else {
      this.noLength = true;
      this.noChunked = true;
    }
  }

  /** One field, or one line per value of an array (none for an empty one). */
  add(name: string, value: unknown): void {
    const slot = slotOf(name);
    if (slot === undefined) throw new SyshttpError('SYSHTTP_ERR_INVALID_HEADER', `invalid header name ${JSON.stringify(name)}`);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) this.line(name, slot, value[i]);
    } else {
      this.line(name, slot, value);
    }
  }

  private line(name: string, slot: NameSlot, v: unknown): void {
    let s: string;
    let line: string;
    if (v === slot.raw) {
      s = slot.value;
      line = slot.line;
    } else {
      s = checkedValue(name, typeof v === 'string' ? v : String(v));
      if (slot.key === 'content-length' && !DIGITS.test(s)) throw badLength(s);
      line = name + ': ' + s + '\r\n';
      if (typeof v === 'string' || typeof v === 'number') {
        slot.raw = v;
        slot.value = s;
        slot.line = line;
      }
    }
    switch (slot.key) {
      case 'content-length':
        if (this.contentLength !== undefined) throw badLength(`${this.contentLength}, ${s}`);
        this.contentLength = s;
        break;
      case 'transfer-encoding':
        // The framing field is the server's to write unless kept (keepTransferEncoding);
        // the last line's last coding says whether the body is chunked.
        this.teChunked = TE_CHUNKED.test(s);
        this.teLines += line;
        return;
      case 'date':
        this.hasDate = true;
        break;
      case 'connection':
        this.connection = this.connection === undefined ? s : `${this.connection}, ${s}`;
        break;
      case 'trailer':
        this.hasTrailer = true;
        break;
      case 'keep-alive':
        this.hasKeepAlive = true;
        break;
    }
    const i = this.count++;
    if (this.parts[i] !== line) {
      this.parts[i] = line;
      this.joinedCount = -1;
    }
  }
}
