import { expect } from "chai";
import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import { deserializeFn, serializeFn } from "apache-beam/internal/serialize";
import { takeBackRegistrationsAfterEach } from "./registrations";
const { ts, root, loadConfig, closureTransformers } = require("../../scripts/closure-compiler");

// Every example of scripts/CLOSURES.md, run as the page says: compiled as the build compiles,
// `example` serialized, rebuilt and called; the result after `// →` (also what the same code gives
// untransformed), or the error after `// throws:` when serializing.
const page = fs.readFileSync(path.join(root, "scripts", "CLOSURES.md"), "utf8");
const examples = [...page.matchAll(/^## (.+)\n```ts\n([\s\S]*?)```/gm)].map((m) => ({ title: m[1], source: m[2] }));

/** Runs one example module, compiled with the closure transform or not; returns its exports. */
function load(source: string, index: number, transformed: boolean): Record<string, any> {
  const fileName = path.join(root, "scripts", `closures_example_${index}.ts`);
  const compilerOptions = { ...loadConfig().options, sourceMap: false };
  const js = ts.transpileModule(source, { compilerOptions, fileName, transformers: transformed ? closureTransformers() : undefined }).outputText;
  const exports: Record<string, any> = {};
  // In this realm, not a vm context: serialize-closures only knows this realm's builtins.
  new Function("exports", "require", js)(exports, createRequire(fileName));
  return exports;
}

describe("closures: the rules of scripts/CLOSURES.md, example by example", () => {
  takeBackRegistrationsAfterEach();

  it("finds the page's examples", () => {
    expect(examples.length).to.be.at.least(6);
  });

  examples.forEach(({ title, source }, index) => {
    it(title, () => {
      const returns = /^\/\/ → (.+)$/m.exec(source);
      const throws = /^\/\/ throws: (.+)$/m.exec(source);
      expect(Boolean(returns) !== Boolean(throws), "one `// →` or `// throws:` line").to.equal(true);
      const { example } = load(source, index, true);
      if (throws) {
        expect(() => serializeFn({ example })).to.throw(throws[1]);
        return;
      }
      const expected = JSON.parse(returns![1]);
      const rebuilt = deserializeFn(serializeFn({ example })).example as () => unknown;
      expect(rebuilt()).to.deep.equal(expected);
      expect(load(source, index, false).example()).to.deep.equal(expected);
    });
  });
});
