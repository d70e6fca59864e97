import { expect } from "chai";
import { wholeNumberText } from "../../transforms/decimal_text";

describe("transforms/decimal_text: whole numbers as text", () => {
  it("writes every number exactly as String() does", () => {
    const numbers = [0, -0, 1, 9, 10, 99, 100, 999, 1000, 1001, 9999, 10_000, 100_000, 999_999, 1_000_000, 1_000_001, 12_345_678, 999_999_999];
    numbers.push(1e9, 1e9 + 1, 1_704_067_211_000, 1_704_067_211_000_000, 998_295_932_788_999, 999_999_999_999_999, 2 ** 31, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER);
    // Not whole, negative, unsafe or not finite: converted as they are.
    numbers.push(0.5, 1.25, -1, -1e12, 2 ** 53, 2 ** 53 + 2, 1e21, 1e-7, NaN, Infinity, -Infinity);
    // Every width and every digit position, padded parts with zeros inside among them.
    for (let n = 1; n < Number.MAX_SAFE_INTEGER / 7; n = n * 7 + 3) numbers.push(n, n * 10, n + 1_000_000_000);
    for (const n of numbers) expect(wholeNumberText(n), String(n)).to.equal(String(n));
  });
});
