#!/usr/bin/env node
"use strict";
// `node scripts/run_compiled.js file.ts [args]`: runs a TypeScript program compiled in a short-lived
// thread, so this process does not keep the TypeScript compiler in memory (for commands whose peak
// memory matters: npm run generate). Same code as `node -r ./scripts/register.js file.ts`.
const path = require("path");
const { compileInThread, installCompiledHook } = require("./compiled_hook");

const entry = path.resolve(process.argv[2]);
// The program sees itself as argv[1], as under `node -r ./scripts/register.js file.ts`.
process.argv.splice(1, 1);
compileInThread([entry]).then(
  (compiled) => {
    installCompiledHook(compiled);
    require(entry);
  },
  (error) => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(1);
  },
);
