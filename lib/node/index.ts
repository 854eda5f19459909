// syshttp/node: the server side of node:http over syshttp. `createServer` and `Server`
// have node:http's signatures; `req`/`res` are genuine http.IncomingMessage /
// http.ServerResponse instances, views over the native request and response.
import type * as http from 'node:http';
import { Server as ServerClass, type ServerOptions } from './server';

export { createServer, IncomingMessage, ServerResponse, type ServerOptions } from './server';
export { STATUS_CODES, METHODS, validateHeaderName, validateHeaderValue } from 'node:http';

/** node's http.Server may be called without `new` too (`http.Server(app)`, as socket.io's docs write it). */
type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;
type ServerConstructor = typeof ServerClass & {
  (requestListener?: RequestListener): ServerClass;
  (options: ServerOptions, requestListener?: RequestListener): ServerClass;
};
export const Server = new Proxy(ServerClass, {
  apply: (target, _thisArg, args: [ServerOptions, RequestListener?]) => new target(...args),
}) as ServerConstructor;
export type Server = ServerClass;
