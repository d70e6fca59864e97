import { expect } from "chai";
import * as beam from "apache-beam";
import { deserializeFn, serializeFn } from "apache-beam/internal/serialize";
import type { Runner } from "apache-beam/runners/runner";
import { directRunner as sdkDirectRunner } from "apache-beam/runners/direct_runner";
import { directRunner } from "../../runners/direct";
import { expectSameElements, runTransform } from "../../testing";
import { Money } from "./money";

// What scripts/CLOSURES.md promises, in real pipelines: DoFns capturing a Map, a Set, a typed array,
// a Date and an instance of a registered class, on our runner and on the SDK's.
type Order = { item: string; day: string; tier: number; at: number };

const runners: [string, () => Runner][] = [
  ["our runner", () => directRunner({ verifySerialization: true })],
  ["the SDK's runner", () => sdkDirectRunner()],
];

describe("closures: captured Maps, Sets, typed arrays, dates and class instances in DoFns", () => {
  for (const [name, runner] of runners) {
    it(`prices orders from a captured Map, filters by a captured Set, adds a registered class's fee (${name})`, async () => {
      const pricePaise = new Map([["tea", 12_000], ["cake", 40_000]]);
      const open = new Set(["Mon", "Tue"]);
      const discountPercent = new Uint8Array([0, 10]);
      const fee = new Money(500);
      const since = new Date(Date.UTC(2024, 0, 1));
      const out = await runTransform(
        (orders: beam.PCollection<Order>) =>
          orders.flatMap(function* (o: Order) {
            if (!open.has(o.day) || o.at < since.getTime()) return;
            const price = new Money((pricePaise.get(o.item)! * (100 - discountPercent[o.tier])) / 100);
            yield { item: o.item, paise: price.plus(fee).paise };
          }),
        [
          { item: "tea", day: "Mon", tier: 0, at: Date.UTC(2024, 0, 2) },
          { item: "cake", day: "Tue", tier: 1, at: Date.UTC(2024, 0, 3) },
          { item: "cake", day: "Sun", tier: 0, at: Date.UTC(2024, 0, 4) },
          { item: "tea", day: "Mon", tier: 0, at: Date.UTC(2023, 11, 31) },
        ],
        { runner: runner() },
      );
      expectSameElements(out, [{ item: "tea", paise: 12_500 }, { item: "cake", paise: 36_500 }]);
    });
  }

  it("keeps cycles and shared references inside Maps and Sets", () => {
    const shared = { n: 1 };
    const registry = new Map<string, unknown>([["a", shared], ["b", shared]]);
    registry.set("self", registry);
    const tags = new Set<unknown>([shared, registry]);
    const { check } = deserializeFn(serializeFn({
      check: () => [registry.get("a") === registry.get("b"), registry.get("self") === registry, tags.has(registry.get("a")), tags.has(registry), registry.size],
    }));
    expect(check()).to.deep.equal([true, true, true, true, 3]);
  });

  it("copies a Buffer as a Buffer, with its bytes", () => {
    const magic = Buffer.from([0xca, 0xfe, 0x00, 0xff]);
    const { check } = deserializeFn(serializeFn({ check: () => [Buffer.isBuffer(magic), magic.toString("hex")] }));
    expect(check()).to.deep.equal([true, "cafe00ff"]);
  });

  it("refuses, naming the variable, what holds state no copy reaches (WeakMap, WeakSet, Promise, generator, Proxy)", () => {
    const seen = new WeakMap<object, number>();
    const marks = new WeakSet<object>();
    const ready = Promise.resolve(1);
    const ids = (function* () {
      yield 1;
    })();
    const guarded = new Proxy({}, {});
    for (const [name, read, kind] of [
      ["seen", () => seen.has({}), "WeakMap"],
      ["marks", () => marks.has({}), "WeakSet"],
      ["ready", () => ready, "Promise"],
      ["ids", () => ids.next(), "Generator"],
      ["guarded", () => guarded, "Proxy"],
    ] as const) {
      expect(() => serializeFn({ read }), name).to.throw(`Cannot serialize \`read\` → captured \`${name}\`: Cannot serialize a ${kind}`);
    }
  });

  it("refuses, naming the variable, an instance of a Map subclass that is not registered", () => {
    class Registry extends Map<string, number> {}
    const registry = new Registry([["a", 1]]);
    expect(() => serializeFn({ check: () => registry.size })).to.throw(
      "Cannot serialize `check` → captured `registry` → its prototype → `constructor`: the class `Registry` is not registered for serialization.",
    );
  });
});
