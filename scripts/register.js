"use strict";
// `node -r ./scripts/register.js file.ts`: run TypeScript directly, compiled on load with the same
// closure transform as the build (mocha and `npm run pipeline` use this). Type errors are not checked
// here, for start-up speed; `npm run build` and `npm run typecheck` check them.
const fs = require("fs");
const { ts, loadConfig, closureTransformers } = require("./closure-compiler");

const { options } = loadConfig();
const compilerOptions = { ...options, outDir: undefined, rootDir: undefined, sourceMap: false, inlineSourceMap: true, inlineSources: true, declaration: false };

require.extensions[".ts"] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const out = ts.transpileModule(source, { compilerOptions, fileName: filename, transformers: closureTransformers() });
  module._compile(out.outputText, filename);
};
