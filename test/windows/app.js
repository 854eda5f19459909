// The app the Windows tests drive: the same handler runs inside Windows node.exe under
// Wine (server.js, on HTTP.sys) and on Linux (features.wine.ts, on epoll/io_uring), so
// that the tests can compare what the two backends give an app.
'use strict';

function describeFeatures(syshttp, ctx) {
  // Every feature an app can ask for, by name: the class, its properties, their types.
  // Addresses, ports and ids differ by nature; their shape must not.
  const keys = Object.entries(syshttp).filter(([name, v]) => name.endsWith('Feature') && v && typeof v.name === 'string');
  const out = {};
  for (const [name, key] of keys) {
    const f = ctx.features.get(key);
    if (f === undefined) {
      out[name] = 'undefined';
      continue;
    }
    const props = new Set();
    for (let o = f; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const p of Object.getOwnPropertyNames(o)) if (p !== 'constructor' && !p.startsWith('_')) props.add(p);
    }
    const shape = {};
    for (const p of [...props].sort()) {
      let v;
      try {
        v = f[p];
      } catch (err) {
        v = err;
      }
      shape[p] = v === null ? 'null' : typeof v;
    }
    out[name] = { class: f.constructor.name, shape };
  }
  return out;
}

function makeApp(syshttp, control = {}) {
  return async (ctx) => {
    const req = ctx.request;
    const res = ctx.response;
    const path = req.path;
    if (path === '/hello') {
      res.headers.set('content-type', 'text/plain');
      return res.end('hello world');
    }
    if (path === '/echo') {
      const body = await req.buffer();
      res.headers.set('content-type', req.headers.get('content-type') ?? 'application/octet-stream');
      res.headers.set('x-received-length', String(body.length));
      return res.end(body);
    }
    if (path === '/json') {
      const value = await req.json();
      res.headers.set('content-type', 'application/json');
      return res.end(JSON.stringify({ got: value }));
    }
    if (path === '/headers') {
      const seen = {};
      for (const [name, value] of req.headers) seen[name] = value;
      res.headers.set('content-type', 'application/json');
      return res.end(JSON.stringify(seen));
    }
    if (path === '/cookies') {
      res.headers.append('set-cookie', 'a=1; Path=/');
      res.headers.append('set-cookie', 'b=2; HttpOnly');
      res.headers.append('set-cookie', 'c=3');
      res.headers.append('x-multi', 'one');
      res.headers.append('x-multi', 'two');
      res.headers.set('cache-control', 'no-store');
      res.headers.set('x-custom', 'custom value');
      return res.end('cookies');
    }
    if (path === '/info') {
      res.headers.set('content-type', 'application/json');
      const c = ctx.connection;
      return res.end(JSON.stringify({
        method: req.method,
        scheme: req.scheme,
        protocol: req.protocol,
        pathBase: req.pathBase,
        path: req.path,
        queryString: req.queryString,
        rawTarget: req.rawTarget,
        contentLength: req.contentLength ?? null,
        connection: { id: c.id, localAddress: c.localAddress, localPort: c.localPort, remoteAddress: c.remoteAddress, remotePort: c.remotePort },
        backend: control.backend ? control.backend() : null,
      }));
    }
    if (path === '/cached') {
      // Counts the requests that reach the app: one the kernel serves from its cache does not.
      control.cachedHits = (control.cachedHits ?? 0) + 1;
      const cache = ctx.features.get(syshttp.HttpResponseCacheFeature);
      if (cache !== undefined) cache.cacheTtl = 30;
      res.headers.set('content-type', 'text/plain');
      return res.end(`hit ${control.cachedHits} cache ${cache === undefined ? 'none' : cache.cacheTtl}`);
    }
    if (path === '/features') {
      res.headers.set('content-type', 'application/json');
      return res.end(JSON.stringify(describeFeatures(syshttp, ctx)));
    }
    if (path === '/stream') {
      res.headers.set('content-type', 'text/plain');
      for (let i = 0; i < 5; i++) await res.write(`chunk ${i}\n`);
      return res.end('done\n');
    }
    if (path.startsWith('/status/')) {
      res.status = Number(path.slice(8));
      return res.end(res.status === 204 || res.status === 304 ? undefined : `status ${res.status}`);
    }
    if (path === '/slow') {
      const ms = Number(new URLSearchParams(req.queryString).get('ms') ?? '200');
      await new Promise((r) => setTimeout(r, ms));
      return res.end(`slept ${ms}`);
    }
    if (path === '/declared') {
      res.headers.set('content-length', '5');
      return res.end('12345');
    }
    if (path === '/throw') throw new Error('boom');
    if (path === '/limit') {
      // a 10-byte body limit for this request only
      ctx.features.get(syshttp.HttpMaxRequestBodySizeFeature).maxRequestBodySize = 10;
      const body = await req.buffer();
      return res.end(`got ${body.length}`);
    }
    if (control.route) {
      const handled = await control.route(ctx);
      if (handled) return undefined;
    }
    res.status = 404;
    return res.end('not found');
  };
}

module.exports = { makeApp, describeFeatures };
