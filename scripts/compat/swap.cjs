'use strict';
// Preload (node --require): http.createServer becomes syshttp/node's, so a framework's
// own test suite runs against syshttp unchanged. SYSHTTP_MODULE picks the build
// (default: this checkout's dist/node).
const http = require('node:http');
const path = require('node:path');
const target = process.env.SYSHTTP_MODULE || path.join(__dirname, '..', '..', 'dist', 'node', 'index.js');
const syshttp = require(target);
http.createServer = (...args) => syshttp.createServer(...args);
process.stderr.write(`syshttp swap active (${target}, backend=${process.env.SYSHTTP_BACKEND || 'auto'})\n`);
