"use strict";
// One place that knows how our TypeScript becomes JavaScript. The Beam SDK serializes every DoFn
// and closure at pipeline construction; ts-closure-transform adds the `__closure` property that
// makes that possible. Both the build and the require hook compile through here, so what tests run
// is exactly what `npm run build` emits.
const ts = require("typescript");
const { beforeTransform, afterTransform } = require("ts-closure-transform");
const path = require("path");
const fs = require("fs");
const { closureSafeSyntax, capturedExports } = require("./closure-safe-syntax");

const root = path.resolve(__dirname, "..");

/**
 * ts-closure-transform and serialize-closures run patched (patches/, applied by `npm install`'s
 * postinstall through patch-package): unpatched, the transform drops bindings of array patterns and
 * the serializer loses Maps and Sets, silently. Refuse to compile with them.
 */
function assertPatched() {
  const marks = [
    ["ts-closure-transform/dist/variable-visitor.js", "visitBindingElement", root],
    ["serialize-closures/dist/src/serializedGraph.js", "serializationPath", require.resolve("apache-beam/internal/serialize")],
  ];
  for (const [file, mark, from] of marks) {
    const resolved = require.resolve(file, { paths: [from] });
    if (!fs.readFileSync(resolved, "utf8").includes(mark)) {
      throw new Error(`${resolved} is not patched (patches/ in ${root}): run \`npx patch-package\` there (npm install does it).`);
    }
  }
}
assertPatched();

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
 * source map, no type check. The hook (register.js) and compile_graph.js (modules compiled
 * beforehand for threads/pool.ts and run_compiled.js) both compile through here.
 */
function compileForRequire(filename, source) {
  if (requireOptions === undefined) {
    const { options } = loadConfig();
    requireOptions = { ...options, outDir: undefined, rootDir: undefined, sourceMap: false, inlineSourceMap: true, inlineSources: true, declaration: false };
  }
  return ts.transpileModule(source, { compilerOptions: requireOptions, fileName: filename, transformers: closureTransformers() }).outputText;
}

module.exports = { ts, root, loadConfig, closureTransformers, compileForRequire };
