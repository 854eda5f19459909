// Runs inside Windows node.exe under Wine (scripts/test-windows.js starts it): a
// syshttp/node server (the node:http API) on HTTP.sys, driven by test/windows/node.wine.ts.
// Writes the details to the file named in argv[3] once listening.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createServer } = require(path.join(__dirname, '..', '..', 'dist', 'node', 'index.js'));

const port = Number(process.argv[2]);
const readyFile = process.argv[3];
// Written whole or not at all (the runner polls for it): a temporary file, then a rename.
function writeReady(text) {
  fs.writeFileSync(`${readyFile}.tmp`, text);
  fs.renameSync(`${readyFile}.tmp`, readyFile);
}

function log(...args) {
  process.stdout.write(`${new Date().toISOString()} ${args.join(' ')}\n`);
}

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/hello') {
    res.setHeader('content-type', 'text/plain');
    return res.end('hello world');
  }
  if (url.pathname === '/request') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        httpVersion: req.httpVersion,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        socket: { remoteAddress: req.socket.remoteAddress, localPort: req.socket.localPort, encrypted: req.socket.encrypted ?? null },
        backend: server.syshttp ? server.syshttp.backend : null,
      }),
    );
  }
  if (url.pathname === '/echo') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(201, 'Made', { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', 'x-received-length': String(body.length) });
      res.end(body);
    });
    return undefined;
  }
  if (url.pathname === '/cookies') {
    res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2; HttpOnly']);
    res.appendHeader('Set-Cookie', 'c=3');
    return res.end('cookies');
  }
  if (url.pathname === '/pairs') {
    // An array of pairs (no setHeader before, as node:http requires for this form).
    res.writeHead(200, [['X-Multi', 'one'], ['X-Multi', 'two']]);
    return res.end('pairs');
  }
  if (url.pathname === '/written') {
    res.statusCode = 202;
    res.write('part 1, ');
    res.write(Buffer.from('part 2, '));
    return res.end('end', () => log('end callback'));
  }
  res.statusCode = 404;
  res.end('not found');
});
server.on('error', (err) => log('server error', err && err.stack));
server.listen(port, () => {
  log('listening', JSON.stringify(server.address()));
  writeReady(JSON.stringify({ backend: server.syshttp.backend, backendInfo: server.syshttp.backendInfo, pid: process.pid }));
});
