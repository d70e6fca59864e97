"use strict";
// V8's compiled code of every CommonJS module kept on disk between runs (what Node 22 offers as
// `module.enableCompileCache()`; Node 20 has nothing of the kind). Compiling is about a third of
// what a process or a runner's worker thread spends loading its ~240 modules; a module's cached
// data also holds the functions compiled lazily while it ran, saved when the thread exits, so the
// next run neither parses nor compiles them again.
//
// The key covers what V8's data depends on: the file, its text, Node's version and the flags the
// thread runs with (data made under other flags is refused by V8, and rewriting it each time would
// make two flag sets take turns missing). V8 also checks the data itself; refused data counts as a
// miss. A miss costs one compile, as it would without the cache; nothing else changes.
const Module = require("module");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const DYNAMIC_IMPORT = /\bimport\s*\(/;
const SOURCE_MAP = /^\/\/# sourceMappingURL=/m;

/** Modules compiled here without usable data: saved when this thread exits. */
const missed = [];

function install(cacheDir) {
  // Node 22's switch for its own cache turns this one off too.
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return;
  if (typeof Module.enableCompileCache === "function") {
    Module.enableCompileCache(cacheDir);
    return;
  }
  const runtime = `${process.version}\0${process.execArgv.join(" ")}`;
  const compile = Module.prototype._compile;
  Module.prototype._compile = function compileWithCache(content, filename, format) {
    if (!cacheable(content, filename, format)) return compile.apply(this, arguments);
    const key = crypto.createHash("sha256").update(runtime).update("\0").update(filename).update("\0").update(content).digest("hex");
    const file = path.join(cacheDir, `${key}.bin`);
    let cachedData;
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      cachedData = undefined;
    }
    let script;
    try {
      script = new vm.Script(Module.wrap(content), { filename, cachedData });
    } catch {
      return compile.apply(this, arguments);
    }
    if (cachedData === undefined || script.cachedDataRejected) missed.push({ file, script });
    const run = script.runInThisContext({ displayErrors: true });
    return run.call(this.exports, this.exports, requireFor(this), this, filename, path.dirname(filename));
  };
  process.once("exit", () => save(cacheDir));
}

/**
 * Whether a module may be compiled here. ES modules and files whose kind Node finds out by failing
 * to compile them take Node's own path; so do modules that `import()` (code compiled here, once
 * loaded from cached data, has no loader for it on Node 20: ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING)
 * and, under `--enable-source-maps`, modules with a source map, which Node reads only on its own path
 * (their stack traces would name the lines of the compiled JavaScript, not of the TypeScript).
 */
function cacheable(content, filename, format) {
  if (format === "module" || filename.endsWith(".mjs") || DYNAMIC_IMPORT.test(content)) return false;
  return !(process.sourceMapsEnabled && SOURCE_MAP.test(content));
}

/** The `require` a module's code is given, as Node makes it. */
function requireFor(module) {
  const require = (id) => module.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, module);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

function save(cacheDir) {
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    for (const { file, script } of missed.splice(0)) {
      // Written aside then renamed: a thread reading it never sees a partial file.
      const aside = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}`;
      fs.writeFileSync(aside, script.createCachedData());
      fs.renameSync(aside, file);
    }
  } catch {
    // A read-only tree compiles every time; nothing else changes.
  }
}

module.exports = { install };
