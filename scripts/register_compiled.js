"use strict";
// The require hook of a worker thread started by threads/pool.ts: runs the JavaScript the main
// thread compiled for it (workerData.compiledModules, filename → code), so the thread never loads
// the TypeScript compiler (~60 MB per thread). A .ts file that was not compiled for it falls back
// to the full hook (register.js) on first need.
const { workerData } = require("worker_threads");

const compiled = new Map(Object.entries((workerData && workerData.compiledModules) || {}));
let fallback;

require.extensions[".ts"] = function runCompiled(module, filename) {
  const code = compiled.get(filename);
  if (code !== undefined) return module._compile(code, filename);
  if (fallback === undefined) {
    require("./register.js");
    fallback = require.extensions[".ts"];
  }
  return fallback(module, filename);
};
