import { expect } from "chai";
import { fastest, inTurn, spread } from "../../bench/repeats";

describe("bench/repeats: runs of a benchmark's variants in turn", () => {
  it("runs each variant once per round, in turn, and keeps every run in order", () => {
    const order: string[] = [];
    const runs = inTurn(
      {
        a: (round) => (order.push(`a${round}`), round * 10),
        b: (round) => (order.push(`b${round}`), round * 100),
      },
      3,
    );
    expect(order).to.deep.equal(["a1", "b1", "a2", "b2", "a3", "b3"]);
    expect(runs).to.deep.equal({ a: [10, 20, 30], b: [100, 200, 300] });
  });

  it("counts a variant by its fastest run and says how far its slowest strayed", () => {
    const runs = [{ seconds: 1.5 }, { seconds: 1.2 }, { seconds: 1.8 }];
    expect(fastest(runs)).to.equal(runs[1]);
    expect(spread(runs)).to.be.closeTo(1.5, 1e-9);
    expect(spread([{ seconds: 2 }])).to.equal(1);
  });
});
