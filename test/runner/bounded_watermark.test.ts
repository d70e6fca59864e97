/**
 * The engine alone: a bounded stage's output watermark is a batch one (-Infinity until all of it is
 * done), so a windowed side input fed by it is never read while its data is still upstream — here
 * the shape `beam.create` gives: a grouping that emits at the end of the global window, then a step
 * that moves the timestamps back into a fixed window.
 */
import { expect } from "chai";
import "apache-beam";
import Long from "long";
import { GlobalWindow, IntervalWindow, PaneInfo, WindowedValue } from "apache-beam/values";
import { ManualClock } from "../../sdk/clock";
import { Engine, type StageSpec } from "../../runners/direct/engine/engine";
import type { GroupingSpec } from "../../runners/direct/engine/grouping";
import { windowKey } from "../../runners/direct/engine/windows";
import { toInstant } from "../../sdk/time";

const pane = { timing: 3, index: 0, onTimeIndex: 0, isFirst: true, isLast: true } as unknown as PaneInfo;
const TEN_SECONDS = new IntervalWindow(Long.fromNumber(0), Long.fromNumber(10_000));
const inTenSeconds = (value: unknown): WindowedValue<unknown> => ({ value, windows: [TEN_SECONDS], timestamp: toInstant(5_000), pane });

/** A GroupByKey in the global window with the default trigger. */
const groupByKey: GroupingSpec = {
  keyIdentity: (key) => String(key),
  aggregator: {
    create: () => [],
    add: (values, value) => [...(values as unknown[]), value],
    merge: (lists) => ([] as unknown[]).concat(...(lists as unknown[][])),
    output: (values) => values,
  },
  mergesWindows: false,
  windowing: { trigger: { kind: "default" }, allowedLatenessMs: 0, accumulating: false, onTimeFireAlways: false, closingFireAlways: false, outputTime: "endOfWindow" },
};

const stage = (id: string, input: StageSpec["input"], upstream: string[], sideInputs: StageSpec["sideInputs"] = []): StageSpec => ({
  id,
  name: id,
  input,
  upstream,
  bounded: true,
  sideInputs,
});

describe("direct runner: a bounded stage's watermark", () => {
  it("stays behind a windowed side input's data until that data is in the store, however its timestamps move", async () => {
    const impulse: WindowedValue<unknown> = { value: new Uint8Array(), windows: [new GlobalWindow()], timestamp: toInstant(-Infinity), pane };
    // Listed so that the main input's stages come last: the engine runs the most downstream stage
    // that has input, so the main stage is first in line as soon as it counts as ready.
    const engine = new Engine(
      [
        stage("sideImpulse", { kind: "impulse", element: impulse }, []),
        stage("sideGrouped", { kind: "grouping", spec: groupByKey }, ["sideImpulse"]),
        stage("mainImpulse", { kind: "impulse", element: impulse }, []),
        stage("main", { kind: "queue" }, ["mainImpulse"], [{ pcollection: "words", producer: "sideGrouped", globalWindow: false }]),
      ],
      { bundleSize: 10, clock: new ManualClock() },
    );
    const toGrouping = engine.emitter({ kind: "stage", stage: "sideGrouped" });
    const toStore = engine.emitter({ kind: "sideInput", pcollection: "words" });
    const toMain = engine.emitter({ kind: "stage", stage: "main" });
    const ran: string[] = [];
    const seen: unknown[][] = [];
    const executor = (id: string, body: (elements: WindowedValue<unknown>[]) => void) =>
      engine.setExecutor(id, async (elements) => {
        ran.push(id);
        body(elements);
        return undefined;
      });
    executor("sideImpulse", () => toGrouping({ value: { key: 0.42, value: "a" }, windows: [new GlobalWindow()], timestamp: toInstant(-Infinity), pane }));
    // The grouping's pane is at the end of the global window; its value moves back to 5 s (assignTimestamps).
    executor("sideGrouped", (panes) => {
      for (const p of panes) for (const word of (p.value as { value: string[] }).value) toStore(inTenSeconds(word));
    });
    executor("mainImpulse", () => toMain(inTenSeconds("order")));
    executor("main", (orders) => {
      seen.push(...orders.map(() => [...(engine.sideInputStore("words").get(windowKey(TEN_SECONDS))?.elements ?? [])]));
    });
    await engine.run();
    expect(seen).to.deep.equal([["a"]]);
    expect(ran.indexOf("sideGrouped")).to.be.lessThan(ran.indexOf("main"));
  });
});
