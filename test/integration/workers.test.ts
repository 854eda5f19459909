// The addon is context-aware: worker threads each load it and run their own servers,
// side by side, and a worker that exits without stopping releases its sockets.
import t from 'tap';
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import * as net from 'node:net';

const entry = path.resolve(__dirname, '../../dist/index.js');
const workerSource = `
  const { parentPort, workerData } = require('node:worker_threads');
  const { createServer } = require(workerData.entry);
  const server = createServer((ctx) => ctx.response.end('worker ' + workerData.name));
  server.listen({ port: 0, host: '127.0.0.1' }).then(({ port }) => parentPort.postMessage(port));
`;

function startWorker(name: string): Promise<{ worker: Worker; port: number }> {
  const worker = new Worker(workerSource, { eval: true, workerData: { entry, name } });
  return new Promise((resolve, reject) => {
    worker.once('message', (port: number) => resolve({ worker, port }));
    worker.once('error', reject);
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

t.test('two workers serve independently and clean up when terminated', async (t) => {
  const a = await startWorker('a');
  const b = await startWorker('b');
  t.not(a.port, b.port);
  t.equal(await (await fetch(`http://127.0.0.1:${a.port}/`)).text(), 'worker a');
  t.equal(await (await fetch(`http://127.0.0.1:${b.port}/`)).text(), 'worker b');
  await a.worker.terminate();
  t.ok(await refused(a.port), 'the terminated worker\'s listener is closed');
  t.equal(await (await fetch(`http://127.0.0.1:${b.port}/`)).text(), 'worker b', 'the other worker still serves');
  await b.worker.terminate();
  t.ok(await refused(b.port));
});
