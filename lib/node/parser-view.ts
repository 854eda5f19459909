// node:http's `socket.parser` (an HTTPParser from _http_common's free list) as a view, for
// code that reads it: node's own tests and diagnostics look at `incoming` (the request
// whose head was parsed last, until its response has finished and it has ended) and at
// the callbacks node's server sets on it. Parsing is the native side's: the methods do
// nothing, and the connection's close clears it as node's freeParser does. Made only when
// someone reads `socket.parser`, so a connection nobody asks about pays nothing.

/** The callback slots of node's HTTPParser (its static kOn* indices; node 20's if not found). */
interface ParserSlots {
  onMessageBegin: number;
  onHeadersComplete: number;
  onExecute: number;
  onTimeout: number;
}
let slots: ParserSlots | null = null;

function parserSlots(): ParserSlots {
  if (slots === null) {
    let P: Record<string, unknown> = {};
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      P = (require('node:_http_common') as { HTTPParser: Record<string, unknown> }).HTTPParser;
    } catch {
      // a Node without it: node 20's values
    }
    const at = (name: string, fallback: number): number => (typeof P[name] === 'number' ? (P[name] as number) : fallback);
    slots = { onMessageBegin: at('kOnMessageBegin', 0), onHeadersComplete: at('kOnHeadersComplete', 2), onExecute: at('kOnExecute', 5), onTimeout: at('kOnTimeout', 6) };
  }
  return slots;
}

/** What the view needs from its socket. */
export interface ParserOwner {
  /** The request whose head was parsed last, until it is done (the socket keeps it, made or not). */
  parsedLast: unknown;
  /** node's onParserTimeout: the headers timeout fired (the socket's timeout handling). */
  parserTimedOut(): void;
}

function noop(): void {}

export class ParserView {
  [slot: number]: ((...args: unknown[]) => unknown) | null;
  outgoing: unknown = null;
  socket: ParserOwner | null;
  /** Requests come from the native side: present as node's, never called by it. */
  onIncoming: ((...args: unknown[]) => unknown) | null = noop;
  joinDuplicateHeaders: boolean | null;
  maxHeaderPairs: number;
  _consumed = false;
  _headers: string[] = [];
  _url = '';

  constructor(socket: ParserOwner, joinDuplicateHeaders: boolean, maxHeaderPairs: number) {
    const s = parserSlots();
    this.socket = socket;
    this.joinDuplicateHeaders = joinDuplicateHeaders;
    this.maxHeaderPairs = maxHeaderPairs;
    this[s.onMessageBegin] = noop;
    this[s.onHeadersComplete] = noop;
    this[s.onExecute] = noop;
    this[s.onTimeout] = () => socket.parserTimedOut();
  }

  /** node's cleanParser, as freeParser runs it when the connection closes; then free(). */
  release(): void {
    const s = parserSlots();
    this._headers = [];
    this._url = '';
    this.socket = null;
    this.outgoing = null;
    this[s.onMessageBegin] = null;
    this[s.onHeadersComplete] = null;
    this[s.onExecute] = null;
    this[s.onTimeout] = null;
    this._consumed = false;
    this.onIncoming = null;
    this.joinDuplicateHeaders = null;
    this.maxHeaderPairs = 2000;  // node's MAX_HEADER_PAIRS
    this.free();
  }

  /** The request whose head was parsed last, while it is going (node's parser.incoming). */
  get incoming(): unknown {
    return this.socket === null ? null : this.socket.parsedLast;
  }
  set incoming(req: unknown) {
    if (this.socket !== null) this.socket.parsedLast = req;
  }

  // HTTPParser's methods: the native side parses, so there is nothing for them to do.
  free(): void {}
  close(): void {}
  remove(): void {}
  pause(): void {}
  resume(): void {}
  consume(): void {}
  unconsume(): void {}
  finish(): void {}
  execute(): void {}
  initialize(): void {}
  getCurrentBuffer(): Buffer {
    return Buffer.alloc(0);
  }
}

/** node's clearIncoming, as a request's 'end' listener: the parser lets the request go. */
export function clearIncoming(this: { socket?: ParserOwner | null }): void {
  const socket = this.socket;
  if (socket != null && socket.parsedLast === this) socket.parsedLast = null;
}
