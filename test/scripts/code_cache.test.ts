import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import Module = require("module");
import * as os from "os";
import * as path from "path";

// scripts/code_cache.js, in fresh Node processes over modules written here: what a module sees
// (`require`, its resolve, `__dirname`, `import()`, a syntax error) is the same with data cached
// or not; the data is written once, used after, and written anew when the module's text changes.
const codeCache = path.resolve(__dirname, "../../scripts/code_cache.js");
// On Node 22 and later the cache is Node's own (`module.enableCompileCache`), its files Node's: only
// what a module sees is checked there.
const ours = typeof (Module as unknown as { enableCompileCache?: unknown }).enableCompileCache !== "function";

describe("scripts: V8's code cache kept between runs", function () {
  this.timeout(60_000);
  let dir: string;
  let cacheDir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "code-cache-"));
    cacheDir = path.join(dir, "cache");
    fs.writeFileSync(path.join(dir, "helper.js"), "exports.twice = (n) => n * 2;\n");
    fs.writeFileSync(path.join(dir, "esm.mjs"), "export const answer = 42;\n");
    fs.writeFileSync(path.join(dir, "importer.js"), "module.exports = async () => (await import('./esm.mjs')).answer;\n");
    fs.writeFileSync(
      path.join(dir, "main.js"),
      [
        "const { twice } = require('./helper');",
        "module.exports = async () => ({",
        "  twice: twice(21),",
        "  resolved: path.relative(__dirname, require.resolve('./helper')),",
        "  paths: Array.isArray(require.resolve.paths('x')),",
        "  cached: Object.keys(require.cache).some((f) => f.endsWith('helper.js')),",
        "  dirname: __dirname,",
        "  esm: await require('./importer')(),",
        "});",
        "const path = require('path');",
      ].join("\n"),
    );
    fs.writeFileSync(path.join(dir, "broken.js"), "const a = 1;\nconst b = ;\n");
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs `script` in a new Node process with the cache installed (`flags` before it); stdout parsed as JSON. */
  function run(script: string, flags: string[] = [], env: NodeJS.ProcessEnv = {}): { output: unknown; stderr: string } {
    const program = `require(${JSON.stringify(codeCache)}).install(${JSON.stringify(cacheDir)});\n${script}`;
    const child = spawnSync(process.execPath, [...flags, "-e", program], { cwd: dir, encoding: "utf8", timeout: 30_000, env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: "", ...env } });
    expect(child.status, child.stderr).to.equal(0);
    return { output: JSON.parse(child.stdout), stderr: child.stderr };
  }

  const useMain = `require(${JSON.stringify("./main.js")})().then((r) => console.log(JSON.stringify(r)));`;
  const entries = () => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).sort() : []);
  const stamps = () => entries().map((f) => `${f}@${fs.statSync(path.join(cacheDir, f)).mtimeMs}`);

  it("gives a module the same require, resolve, __dirname and import() with data cached or not", () => {
    const first = run(useMain).output;
    expect(first).to.deep.equal({ twice: 42, resolved: "helper.js", paths: true, cached: true, dirname: fs.realpathSync(dir), esm: 42 });
    if (ours) expect(entries()).to.have.length(2, "main.js and helper.js; the .mjs, and importer.js for its import(), are Node's to load");
    expect(run(useMain).output).to.deep.equal(first);
  });

  if (ours) it("writes a module's data once, and again only when its text changes", () => {
    run(useMain);
    const written = stamps();
    run(useMain);
    expect(stamps(), "a second run found every module's data: it wrote nothing").to.deep.equal(written);
    fs.appendFileSync(path.join(dir, "helper.js"), "exports.thrice = (n) => n * 3;\n");
    run(useMain);
    const after = entries();
    expect(after).to.have.length(3, "the changed helper.js gets an entry of its own");
    expect(after).to.include.members(written.map((s) => s.split("@")[0]));
  });

  if (ours) it("keeps the data of runs with other flags apart instead of overwriting it", () => {
    run(useMain);
    const plain = stamps();
    run(useMain, ["--no-opt"]);
    expect(entries()).to.have.length(4);
    expect(stamps()).to.include.members(plain);
  });

  it("reports a syntax error as Node does, naming the file and the line", () => {
    const script = `try { require("./broken.js"); } catch (e) { console.log(JSON.stringify({ name: e.name, where: e.stack.split("\\n")[0] })); }`;
    const cached = run(script).output;
    const plain = run(script, [], { NODE_DISABLE_COMPILE_CACHE: "1" }).output;
    expect(cached).to.deep.equal(plain);
    expect(cached).to.deep.equal({ name: "SyntaxError", where: `${path.join(fs.realpathSync(dir), "broken.js")}:2` });
  });

  it("leaves source maps to Node under --enable-source-maps: a TypeScript error names its own line", () => {
    const file = path.join(dir, "throws.ts");
    // Line 4 of the TypeScript; the JavaScript compiled from it puts the throw on another line.
    fs.writeFileSync(file, ["// a comment", "type Unused = { a: number };", "export function boom(): never {", "  throw new Error('probe');", "}", "boom();", ""].join("\n"));
    const register = path.resolve(__dirname, "../../scripts/register.js");
    for (let i = 0; i < 2; i++) {
      const child = spawnSync(process.execPath, ["--enable-source-maps", "-r", register, file], { encoding: "utf8", timeout: 30_000, env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: "" } });
      expect(child.stderr, `run ${i + 1}`).to.include(`at boom (${file}:4:`);
    }
  });

  if (ours) it("is off with NODE_DISABLE_COMPILE_CACHE=1, as Node 22's own cache is", () => {
    expect(run(useMain, [], { NODE_DISABLE_COMPILE_CACHE: "1" }).output).to.include({ twice: 42, esm: 42 });
    expect(entries()).to.deep.equal([]);
  });
});
