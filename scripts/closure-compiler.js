"use strict";
// One place that knows how our TypeScript becomes JavaScript. The Beam SDK serializes every DoFn
// and closure at pipeline construction; ts-closure-transform adds the `__closure` property that
// makes that possible. Both the build and the require hook compile through here, so what tests run
// is exactly what `npm run build` emits.
const ts = require("typescript");
const { beforeTransform, afterTransform } = require("ts-closure-transform");
const path = require("path");
const { closureSafeSyntax, capturedExports } = require("./closure-safe-syntax");

const root = path.resolve(__dirname, "..");

/** Reads tsconfig.json into parsed compiler options and file names. */
function loadConfig() {
  const configPath = path.join(root, "tsconfig.json");
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  return ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configPath);
}

/**
 * The closure transformers, fresh per compilation (they keep per-file state), with the mends for
 * what ts-closure-transform miscompiles around them (see closure-safe-syntax.js).
 */
function closureTransformers() {
  return { before: [closureSafeSyntax(), beforeTransform()], after: [afterTransform(), capturedExports()] };
}

let requireOptions;

/**
 * A TypeScript file's JavaScript as the require hook runs it: the closure transform, an inline
 * source map, no type check. The hook and threads/pool.ts (which compiles modules for its threads)
 * both compile through here.
 */
function compileForRequire(filename, source) {
  if (requireOptions === undefined) {
    const { options } = loadConfig();
    requireOptions = { ...options, outDir: undefined, rootDir: undefined, sourceMap: false, inlineSourceMap: true, inlineSources: true, declaration: false };
  }
  return ts.transpileModule(source, { compilerOptions: requireOptions, fileName: filename, transformers: closureTransformers() }).outputText;
}

module.exports = { ts, root, loadConfig, closureTransformers, compileForRequire };
