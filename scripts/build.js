#!/usr/bin/env node
"use strict";
// `npm run build`: type-check the whole project and emit JavaScript to dist/ with every function
// carrying `__closure` (see closure-compiler.js). Exits non-zero on any type error.
const { Worker } = require("worker_threads");

// A build dies with whoever started it (a Dataflow submission runs it and waits): the compile holds
// this thread for half a minute, so a thread of its own sees the parent change — we were reparented
// because it died, by kill -9 too — and ends the build, which would go on writing into dist/.
const PARENT_CHECK_MS = 250;
new Worker(
  `const parent = ${process.ppid};
   setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, "SIGKILL"); }, ${PARENT_CHECK_MS});`,
  { eval: true },
).unref();

const { ts, loadConfig, closureTransformers } = require("./closure-compiler");

const config = loadConfig();
const program = ts.createProgram(config.fileNames, config.options);
const emitted = program.emit(undefined, undefined, undefined, false, closureTransformers());
const diagnostics = ts.getPreEmitDiagnostics(program).concat(emitted.diagnostics);
if (diagnostics.length > 0) {
  const host = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: ts.sys.getCurrentDirectory,
    getNewLine: () => ts.sys.newLine,
  };
  process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  process.exit(1);
}
console.log(`built ${config.fileNames.length} files into ${config.options.outDir}`);
