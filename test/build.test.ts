import { expect } from "chai";
import * as path from "path";
import * as vm from "vm";
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

describe("build: what npm run build emits", () => {
  it("gives functions that capture anything a __closure listing it", () => {
    const js = emitWithBuildSettings("transforms/parse_csv.ts");
    expect(js).to.match(/parseCsvLine\.__closure = \(\) => \(\{ csvRecordValues, transactionFromValues \}\)/);
  });

  it("emits code whose captured variables the closure lists by name", () => {
    const source = "const rate = 3; export function scaled(x: number) { return x * rate; }";
    const out = ts.transpileModule(source, { compilerOptions: loadConfig().options, transformers: closureTransformers() }).outputText;
    const sandbox: { exports: Record<string, any> } = { exports: {} };
    vm.runInNewContext(out, sandbox);
    expect(sandbox.exports.scaled.__closure()).to.deep.equal({ rate: 3 });
  });
});
