import { expect } from "chai";
import * as beam from "apache-beam";
import { runTransform, runPipeline, expectSameElements, fromArray } from "../testing";

const SURCHARGE = 7;
function withSurcharge(x: number): number {
  return x + SURCHARGE;
}

describe("testing: transforms on in-memory PCollections", () => {
  it("runs a transform whose closures capture a local constant and an imported helper", async () => {
    const factor = 3;
    const out = await runTransform(
      (input: beam.PCollection<number>) => input.map((x: number) => withSurcharge(x * factor)),
      [1, 2, 3],
    );
    expectSameElements(out, [10, 13, 16]);
  });

  it("collects every tagged output of a multi-output transform", async () => {
    const out = await runPipeline((root) => {
      const parts = root.apply(fromArray([1, 2, 3, 4, 5])).map((n: number) => (n % 2 ? { odd: n } : { even: n }))
        .apply(beam.split(["odd", "even"]));
      return { odd: parts.odd, even: parts.even };
    });
    expectSameElements(out.odd, [1, 3, 5]);
    expectSameElements(out.even, [2, 4]);
  });

  it("reports missing and unexpected elements", () => {
    expect(() => expectSameElements([1, 2, 2], [2, 1, 3])).to.throw(/missing 1:\n\s+3[\s\S]*unexpected 1:\n\s+2/);
    expect(() => expectSameElements([{ a: 1.0000001 }], [{ a: 1 }], { tolerance: 1e-6 })).not.to.throw();
  });
});
