// ESM entry of syshttp/node: the CommonJS build's named exports, re-exported (node's CJS
// export detection reads them from dist/node/index.js).
export * from '../dist/node/index.js';
