"use strict";
// `node -r ./scripts/register.js file.ts`: run TypeScript directly, compiled on load with the same
// closure transform as the build (mocha and `npm run pipeline` use this). Type errors are not checked
// here, for start-up speed; `npm run build` and `npm run typecheck` check them.
const fs = require("fs");
const { compileForRequire } = require("./closure-compiler");

require.extensions[".ts"] = function compileTypeScript(module, filename) {
  module._compile(compileForRequire(filename, fs.readFileSync(filename, "utf8")), filename);
};
