import { expect } from "chai";
import "apache-beam";
import Long from "long";
import { GlobalWindow, IntervalWindow } from "apache-beam/values";
import { windowKey } from "../../runners/direct/engine/windows";

describe("direct runner: window keys", () => {
  // Bounds on both sides of 2^53 (where a double stops being exact) and Beam's extreme timestamps.
  const bounds = [
    "0",
    "1",
    "-1",
    "1764593400000",
    "-1764593400000",
    "9007199254740991",
    "-9007199254740991",
    "9007199254740992",
    "-9007199254740992",
    "9007199254740993",
    "-9007199254740993",
    "9223372036854775",
    "-9223372036854775",
    "9223372036854775807",
    "-9223372036854775808",
  ].map((s) => Long.fromString(s));

  it("are start:end in decimal milliseconds, equal exactly for equal bounds, asked once or again", () => {
    const keys = new Map<string, string>();
    for (const start of bounds) {
      for (const end of bounds) {
        const expected = `${start.toString()}:${end.toString()}`;
        // A fresh window object each time, as every element carries its own; asked twice in a row
        // (the repeat of the last bounds) and after other bounds.
        expect(windowKey(new IntervalWindow(start, end))).to.equal(expected);
        expect(windowKey(new IntervalWindow(Long.fromString(start.toString()), Long.fromString(end.toString())))).to.equal(expected);
        keys.set(expected, `${start}/${end}`);
      }
    }
    expect(keys.size).to.equal(bounds.length ** 2);
    for (const [key] of keys) {
      const [start, end] = key.split(":");
      expect(windowKey(new IntervalWindow(Long.fromString(start), Long.fromString(end)))).to.equal(key);
    }
  });

  it("tell windows that share one bound apart, and the global window from every interval", () => {
    const a = new IntervalWindow(Long.fromNumber(0), Long.fromNumber(10_000));
    const b = new IntervalWindow(Long.fromNumber(0), Long.fromNumber(20_000));
    expect(windowKey(a)).to.not.equal(windowKey(b));
    expect(windowKey(b)).to.not.equal(windowKey(a));
    expect(windowKey(new GlobalWindow())).to.equal("global");
    expect(windowKey(a)).to.equal("0:10000");
  });
});
