// Compiled (not run) by node-types.test.ts: syshttp/node's types go wherever node:http's do.
import * as http from 'node:http';
import Fastify from 'fastify';
import { createServer, Server, IncomingMessage, ServerResponse } from 'syshttp/node';

const s: http.Server = createServer((req: http.IncomingMessage, res: http.ServerResponse) => res.end('x'));
const t: Server = new Server({ keepAliveTimeout: 1000, backend: 'auto', limits: { maxRequestBodySize: 1024 } });
s.listen(0, '127.0.0.1', () => s.close());
// Callable without `new`, as node's http.Server (`http.Server(app)`).
const u: http.Server = Server((q, r) => r.end('y'));
const v: Server = Server({ keepAliveTimeout: 1000 }, (q, r) => r.end('z'));
class Mine extends Server {}
const w: Server = new Mine();
t.setTimeout(10, (socket) => socket.destroy());
t.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => socket.end(head));
const req: http.IncomingMessage = Object.create(IncomingMessage.prototype) as IncomingMessage;
const res: http.ServerResponse = Object.create(ServerResponse.prototype) as ServerResponse;
const app = Fastify({ serverFactory: (handler) => createServer((q, r) => handler(q, r)) });
export { req, res, app, u, v, w };
