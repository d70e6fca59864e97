import { expect } from "chai";
import "apache-beam";
import { deserializeFn, serializeFn } from "apache-beam/internal/serialize";
import { implementationOf } from "../../runners/direct/handlers/deserialized";

describe("direct runner: deserialized functions called directly", () => {
  it("calls what a deserialized method forwards to, with the same result and receiver", () => {
    const offset = 7;
    const original = {
      base: 100,
      add(x: number) {
        return this.base + x + offset;
      },
    };
    const rebuilt = deserializeFn(serializeFn(original)) as typeof original;
    const direct = implementationOf(rebuilt.add);
    // A deserialized function is a forwarding thunk; what it forwards to is another function.
    expect(direct).to.not.equal(rebuilt.add);
    expect(direct.call(rebuilt, 1)).to.equal(rebuilt.add(1));
    expect(direct.call(rebuilt, 1)).to.equal(108);
  });

  it("keeps a function that was not deserialized as it is", () => {
    const plain = (x: number) => x * 2;
    expect(implementationOf(plain)).to.equal(plain);
  });

  it("calls a recursive deserialized function correctly", () => {
    const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
    const rebuilt = deserializeFn(serializeFn({ factorial })) as { factorial: typeof factorial };
    expect(implementationOf(rebuilt.factorial)(5)).to.equal(120);
  });
});
