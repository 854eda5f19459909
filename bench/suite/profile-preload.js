'use strict';
// Loaded with `node --require` into a bench server by bench/bench.js's profile step.
// Counts, between two SIGUSR2 signals:
//   - JS→native calls: every method call on syshttp's NativeServer handle (send,
//     readBody, pauseBody, …), by name. The binding's NativeServer is replaced, when
//     syshttp.node is loaded, by a subclass whose methods count and call the original.
//   - native→JS calls: invocations of the batch callback syshttp passes to NativeServer.
//   - bytes allocated on the V8 heap: heap used at the end − at the start + what every
//     GC in between freed (v8.GCProfiler gives the heap before and after each GC).
// The first SIGUSR2 starts counting, the second stops and writes JSON to
// $BENCH_PROFILE_OUT. Nothing here runs in a measured bench run.
const Module = require('node:module');
const fs = require('node:fs');
const v8 = require('node:v8');

const calls = Object.create(null);
let batches = 0;
let counting = false;
let instrumented = false;

const loadNode = Module._extensions['.node'];
Module._extensions['.node'] = function (module, filename) {
  loadNode(module, filename);
  const binding = module.exports;
  if (binding && typeof binding.NativeServer === 'function' && !instrumented) {
    instrumented = true;
    module.exports = { ...binding, NativeServer: instrument(binding.NativeServer) };
  }
};

function instrument(Native) {
  class CountingNativeServer extends Native {
    constructor(options, onBatch) {
      super(options, function countedBatch(...args) {
        if (counting) batches++;
        return onBatch.apply(this, args);
      });
    }
  }
  for (const name of Object.getOwnPropertyNames(Native.prototype)) {
    if (name === 'constructor') continue;
    const desc = Object.getOwnPropertyDescriptor(Native.prototype, name);
    if (typeof desc.value !== 'function') continue;
    const orig = desc.value;
    Object.defineProperty(CountingNativeServer.prototype, name, {
      value: function (...args) {
        if (counting) calls[name] = (calls[name] || 0) + 1;
        return orig.apply(this, args);
      },
      writable: true,
      configurable: true,
    });
  }
  return CountingNativeServer;
}

let profiler = null;
let usedAtStart = 0;
let startedAt = 0;
process.on('SIGUSR2', () => {
  if (!counting) {
    for (const k of Object.keys(calls)) delete calls[k];
    batches = 0;
    profiler = new v8.GCProfiler();
    profiler.start();
    usedAtStart = v8.getHeapStatistics().used_heap_size;
    startedAt = Date.now();
    counting = true;
    return;
  }
  counting = false;
  const usedAtEnd = v8.getHeapStatistics().used_heap_size;
  const gc = profiler.stop();
  let freed = 0;
  for (const s of gc.statistics) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  const out = {
    instrumented,
    nativeCalls: { ...calls },
    batchCallbacks: batches,
    heapAllocatedBytes: usedAtEnd - usedAtStart + freed,
    gcCount: gc.statistics.length,
    ms: Date.now() - startedAt,
  };
  fs.writeFileSync(process.env.BENCH_PROFILE_OUT, JSON.stringify(out));
});
