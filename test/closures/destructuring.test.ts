import { expect } from "chai";
import * as path from "path";
import { deserializeFn, serializeFn } from "apache-beam/internal/serialize";
import { cases } from "./destructuring_cases";
import { requireUntransformed } from "./untransformed";

// The same file, compiled with the closure transform (imported above through scripts/register.js)
// and without it: JavaScript's meaning is the untransformed one.
const plain: Record<string, () => unknown> = requireUntransformed(path.join(__dirname, "destructuring_cases.ts")).cases;

describe("closures: destructuring keeps JavaScript's meaning under the closure transform", () => {
  it("compiles every case with a __closure (the transform did run)", () => {
    expect(Object.values(cases).some((c) => typeof (c as { __closure?: unknown }).__closure === "function")).to.equal(true);
    expect(Object.values(plain).some((c) => (c as { __closure?: unknown }).__closure !== undefined)).to.equal(false);
  });

  for (const name of Object.keys(cases)) {
    it(name, () => {
      const expected = plain[name]();
      expect(cases[name]()).to.deep.equal(expected);
      const rebuilt = deserializeFn(serializeFn({ run: cases[name] })).run as () => unknown;
      expect(rebuilt()).to.deep.equal(expected);
    });
  }

  it("pulls what JavaScript pulls (the figures the cases compare, checked once by hand)", () => {
    expect(plain["a counting generator is pulled once for one binding"]()).to.deep.equal({ first: 1, pulls: 1 });
    expect(plain["an infinite generator, with a hole, is closed by return()"]()).to.deep.equal({ values: [0, 2], closed: "return" });
    expect(plain["a generator that throws on its third pull, destructured into two"]()).to.deep.equal(["a", "b"]);
  });
});
