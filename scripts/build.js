#!/usr/bin/env node
"use strict";
// `npm run build`: type-check the whole project and emit JavaScript to dist/ with every function
// carrying `__closure` (see closure-compiler.js). Exits non-zero on any type error.
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
