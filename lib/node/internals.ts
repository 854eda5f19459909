// node:http's own per-instance symbols (kOutHeaders, kNeedDrain, kHeadersCount …). Its
// prototype getters (headers, trailers, writableNeedDrain …) read them, so the views in
// this folder set them where node's parser and socket code would. They are found by
// description on a probe instance; a Node without one gets a fresh symbol, which only
// turns the matching getter back to its default.
import { IncomingMessage, OutgoingMessage, Server } from 'node:http';

function find(instance: object, description: string): symbol {
  for (const s of Object.getOwnPropertySymbols(instance)) if (s.description === description) return s;
  return Symbol(description);
}

const outgoing = new OutgoingMessage();
const incoming = new IncomingMessage(null as never);

export const kNeedDrain = find(outgoing, 'kNeedDrain');
export const kOutHeaders = find(outgoing, 'kOutHeaders');
export const kHeadersCount = find(incoming, 'kHeadersCount');
export const kTrailersCount = find(incoming, 'kTrailersCount');
/** The server's parsed uniqueHeaders option, and each response's copy (node sets both). */
export const kUniqueHeaders = find(new Server(), 'kUniqueHeaders');

/** syshttp's own: the response of the last request maxRequestsPerSocket allows (node's maxRequestsOnConnectionReached). */
export const kLimitReached = Symbol('syshttp.limitReached');
