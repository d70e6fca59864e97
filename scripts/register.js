"use strict";
// `node -r ./scripts/register.js file.ts`: run TypeScript directly, compiled on load with the same
// closure transform as the build (mocha and `npm run pipeline` use this). Type errors are not checked
// here, for start-up speed; `npm run build` and `npm run typecheck` check them.
// Compiled files are cached on disk by content (node_modules/.cache/register/), so the runner's
// worker threads, which load the same modules again, and later runs skip the compiler.
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");

const CACHE_DIR = path.join(__dirname, "..", "node_modules", ".cache", "register");
// V8's compiled code of every module, the compiler's included, kept too.
require("./code_cache").install(path.join(CACHE_DIR, "v8"));
// The compiler (TypeScript itself) loads only on a cache miss.
const compile = (source, filename) => require("./closure-compiler").compileForRequire(filename, source);

// The key covers what the output depends on: the file, its text, the compiler, its settings and patches.
const PATCHES = path.join(__dirname, "..", "patches");
const toolsStamp = ["register.js", "closure-compiler.js", "closure-safe-syntax.js", "../tsconfig.json", "../package-lock.json"]
  .concat(fs.existsSync(PATCHES) ? fs.readdirSync(PATCHES).map((f) => path.join("..", "patches", f)) : [])
  .map((f) => {
    try {
      return fs.readFileSync(path.join(__dirname, f), "utf8");
    } catch {
      return "";
    }
  })
  .join("\0");
// Digested once: hashing the ~170 KB of tools per file loaded cost every thread tens of milliseconds at start-up.
const toolsDigest = crypto.createHash("sha256").update(toolsStamp).digest("hex");

require.extensions[".ts"] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const key = crypto.createHash("sha256").update(toolsDigest).update("\0").update(filename).update("\0").update(source).digest("hex");
  const cached = path.join(CACHE_DIR, `${key}.js`);
  let output;
  try {
    output = fs.readFileSync(cached, "utf8");
  } catch {
    output = compile(source, filename);
    try {
      fs.mkdirSync(CACHE_DIR, { recursive: true });
      // Written aside then renamed: a reader never sees a partial file.
      const aside = `${cached}.${process.pid}.${crypto.randomBytes(4).toString("hex")}`;
      fs.writeFileSync(aside, output);
      fs.renameSync(aside, cached);
    } catch {
      // A read-only tree compiles every time; nothing else changes.
    }
  }
  module._compile(output, filename);
};
