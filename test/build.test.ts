import { expect } from "chai";
import * as path from "path";
import { deserializeFn, serializeFn } from "apache-beam/internal/serialize";
const { ts, root, loadConfig, closureTransformers } = require("../scripts/closure-compiler");

/** Emits one project file through the build's compiler setup, in memory. */
function emitWithBuildSettings(relativePath: string): string {
  const { options } = loadConfig();
  const program = ts.createProgram([path.join(root, relativePath)], { ...options, declaration: false, sourceMap: false });
  let js = "";
  program.emit(undefined, (file: string, text: string) => {
    if (file.endsWith(".js")) js = text;
  }, undefined, false, closureTransformers());
  return js;
}

/** Compiles TypeScript source as the build does and runs it; returns its exports. */
function compileAndRun(source: string): Record<string, any> {
  const out = ts.transpileModule(source, { compilerOptions: loadConfig().options, transformers: closureTransformers() }).outputText;
  const exports: Record<string, any> = {};
  // In this realm, not a vm context: serialize-closures only knows this realm's builtins.
  new Function("exports", "require", out)(exports, require);
  return exports;
}

describe("build: what npm run build emits", () => {
  it("gives functions that capture anything a __closure listing it", () => {
    const js = emitWithBuildSettings("transforms/parse_csv.ts");
    expect(js).to.match(/parseCsvLine\.__closure = \(\) => \(\{ csvRecordValues, transactionFromValues \}\)/);
  });

  it("emits code whose captured variables the closure lists by name", () => {
    const exports = compileAndRun("const rate = 3; export function scaled(x: number) { return x * rate; }");
    expect(exports.scaled.__closure()).to.deep.equal({ rate: 3 });
  });

  // ts-closure-transform 0.1.8 alone gets these four wrong; scripts/closure-safe-syntax.js rewrites them.
  it("keeps every binding of array destructuring (rest, holes, defaults, nesting, any iterable)", () => {
    const exports = compileAndRun(`
      export function pick() {
        const [a, b] = ["p", "q"];
        const [x, , y = 9, ...rest] = [1, 2, undefined, 4, 5];
        const [[n1, n2], m] = [[1, 2], 3];
        const [s1, s2] = new Set(["s", "t"]);
        return [a, b, x, y, rest, n1, n2, m, s1, s2];
      }`);
    expect(exports.pick()).to.deep.equal(["p", "q", 1, 9, [4, 5], 1, 2, 3, "s", "t"]);
  });

  it("lets a rebuilt function read an exported constant of its own module", () => {
    const exports = compileAndRun(`
      export const LABEL = "total:";
      export function labelled(value: number) { return LABEL + value; }`);
    const rebuilt = deserializeFn(serializeFn({ labelled: exports.labelled })).labelled;
    expect(rebuilt(3)).to.equal("total:3");
  });

  it("gives each closure made in a for-let loop its own iteration's value", () => {
    const exports = compileAndRun(`
      export function makers() {
        const out: (() => number)[] = [];
        for (let i = 0, j = 10; i < 3; i++, j--) out.push(() => i * 100 + j);
        return out.map((g) => g());
      }`);
    expect(exports.makers()).to.deep.equal([10, 109, 208]);
  });

  it("gives a shorthand property the value of a captured let, not its box", () => {
    const exports = compileAndRun(`
      export function snapshot() {
        let content = "v";
        const read = () => content;
        content = "w";
        return { content, read: read() };
      }`);
    expect(exports.snapshot()).to.deep.equal({ content: "w", read: "w" });
  });
});
