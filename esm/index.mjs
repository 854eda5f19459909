// ESM entry: the CommonJS build's named exports, re-exported (node's CJS export
// detection reads them from dist/index.js, so no list is kept here).
export * from '../dist/index.js';
