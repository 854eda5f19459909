// syshttp/node: the server side of node:http over syshttp. `createServer` and `Server`
// have node:http's signatures; `req`/`res` are genuine http.IncomingMessage /
// http.ServerResponse instances, views over the native request and response.
export { createServer, Server, IncomingMessage, ServerResponse, type ServerOptions } from './server';
export { STATUS_CODES, METHODS, validateHeaderName, validateHeaderValue } from 'node:http';
