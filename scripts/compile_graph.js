"use strict";
// The JavaScript of TypeScript modules and of every project module they require, by absolute file
// name, compiled as the require hook compiles them (closure-compiler.js). Follows the `require`s
// of the emitted code, so type-only imports are not followed, and the task modules named by
// `taskModule(__dirname, "./file")` (threads/pool.ts), which the threads of a pool will require.
const fs = require("fs");
const path = require("path");
const { compileForRequire } = require("./closure-compiler");

function compileGraph(entries) {
  const compiled = {};
  const pending = entries.filter((entry) => entry.endsWith(".ts"));
  while (pending.length > 0) {
    const filename = pending.pop();
    if (compiled[filename] !== undefined) continue;
    const code = compileForRequire(filename, fs.readFileSync(filename, "utf8"));
    compiled[filename] = code;
    const required = [...code.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)].map((match) => match[1]);
    const tasks = [...code.matchAll(/taskModule\)?\(__dirname, "([^"]+)"\)/g)].map((match) => match[1]);
    for (const id of [...required, ...tasks]) {
      const source = path.resolve(path.dirname(filename), id) + ".ts";
      if (fs.existsSync(source)) pending.push(source);
    }
  }
  return compiled;
}

module.exports = { compileGraph };
