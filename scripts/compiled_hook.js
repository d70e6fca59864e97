"use strict";
// Running TypeScript that was compiled beforehand (compile_graph.js), without loading the compiler
// in this thread: compileInThread compiles in a short-lived worker thread, whose memory (~60 MB of
// compiler) is gone when it ends; installCompiledHook runs the result. A .ts file that was not
// compiled beforehand falls back to the full hook (register.js) on first need.
const path = require("path");
const { Worker } = require("worker_threads");

/** Resolves with compileGraph(entries), computed in a worker thread that then ends. */
function compileInThread(entries) {
  const compileGraph = JSON.stringify(path.join(__dirname, "compile_graph.js"));
  return new Promise((resolve, reject) => {
    const worker = new Worker(`require("worker_threads").parentPort.postMessage(require(${compileGraph}).compileGraph(require("worker_threads").workerData));`, {
      eval: true,
      workerData: entries,
      execArgv: [],
    });
    let result;
    worker.once("message", (compiled) => (result = compiled));
    worker.once("error", reject);
    worker.once("exit", (code) => (result !== undefined ? resolve(result) : reject(new Error(`compiling ${entries.join(", ")} failed (thread exit ${code})`))));
  });
}

let installed;

/** Makes require() run `compiled` (filename → JavaScript) for .ts files. */
function installCompiledHook(compiled) {
  installed = compiled || {};
  const code = new Map(Object.entries(installed));
  let fallback;
  require.extensions[".ts"] = function runCompiled(module, filename) {
    const js = code.get(filename);
    if (js !== undefined) return module._compile(js, filename);
    if (fallback === undefined) {
      require("./register.js");
      fallback = require.extensions[".ts"];
    }
    return fallback(module, filename);
  };
}

/** What installCompiledHook was given in this thread (filename → JavaScript), or undefined. */
function installedModules() {
  return installed;
}

module.exports = { compileInThread, installCompiledHook, installedModules };
