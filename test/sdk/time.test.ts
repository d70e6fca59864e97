/**
 * Engine time (sdk/time.ts): the SDK's Long timestamps as milliseconds, Beam's extremes as ±Infinity,
 * exact everywhere in between — also past 2^53, where the double is not, and where the conversion
 * compares the Longs themselves.
 */
import { expect } from "chai";
import Long from "long";
import { MIN_INSTANT, toInstant, toMillis } from "../../sdk/time";

describe("sdk/time: the SDK's timestamps as engine milliseconds", () => {
  it("an event time, negative or up to ±(2^53 − 1), is its milliseconds, and back", () => {
    for (const ms of [0, -1, 1, 1_700_000_000_123, -86_400_000, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      expect(toMillis(Long.fromNumber(ms))).to.equal(ms);
      expect(toMillis(toInstant(ms))).to.equal(ms);
      expect(toMillis(ms)).to.equal(ms);
    }
  });

  it("Beam's minimum and maximum timestamps (and beyond) are ±Infinity; just inside them, past 2^53, a finite time", () => {
    expect(toMillis(MIN_INSTANT)).to.equal(-Infinity);
    expect(toMillis(Long.fromString("9223372036854775"))).to.equal(Infinity);
    expect(toMillis(Long.MAX_VALUE)).to.equal(Infinity);
    expect(toMillis(Long.MIN_VALUE)).to.equal(-Infinity);
    expect(toMillis(Long.fromString("9223372036854774"))).to.equal(9223372036854774);
    expect(toMillis(Long.fromString("-9223372036854774"))).to.equal(-9223372036854774);
    expect(toMillis(Long.fromString("9007199254740993"))).to.equal(2 ** 53);
    expect(toInstant(Infinity).equals(Long.fromString("9223372036854775"))).to.equal(true);
    expect(toInstant(-Infinity).equals(MIN_INSTANT)).to.equal(true);
  });
});
