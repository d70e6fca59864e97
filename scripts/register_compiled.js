"use strict";
// The require hook of a worker thread started by threads/pool.ts: runs the JavaScript compiled for
// it (workerData.compiledModules, filename → code), so the thread never loads the TypeScript
// compiler (~60 MB per thread). See compiled_hook.js.
const { workerData } = require("worker_threads");
require("./compiled_hook").installCompiledHook(workerData && workerData.compiledModules);
