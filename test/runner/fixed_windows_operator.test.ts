import { expect } from "chai";
// The SDK's modules load in its own order only from its index (the operators module alone hits a cycle).
import * as beam from "apache-beam";
import Long from "long";
import * as operators from "apache-beam/worker/operators";
import { Pipeline } from "apache-beam/internal/pipeline";
import { MetricsContainer } from "apache-beam/worker/metrics";
import { GlobalWindow, IntervalWindow, type WindowedValue } from "apache-beam/values";
import { nativeParDo } from "../../runners/direct/handlers/pardo";
import { FixedWindowsOperator } from "../../runners/direct/handlers/fixed_windows";
import { NO_FIRING } from "../../sdk/time";
import type { ValueReceiver } from "../../sdk/value_receiver";

/** The pipeline proto of `windowing` applied to a PCollection, and the id of its WindowInto ParDo. */
function windowIntoOf(windowing: beam.PTransform<beam.PCollection<number>, beam.PCollection<number>>) {
  const pipeline = new Pipeline();
  new beam.Root(pipeline).apply(beam.create([1])).apply(windowing);
  const components = pipeline.getProto().components!;
  const id = Object.keys(components.transforms).find((t) => components.transforms[t].uniqueName.includes("WindowInto"))!;
  return { components, id };
}

describe("direct runner: the fixed-window operator", () => {
  it("runs a deserialized fixedWindows WindowInto (the SDK's WindowFn cannot name itself once deserialized) and assigns each element its minute", () => {
    const { components, id } = windowIntoOf(beam.windowInto(beam.fixedWindows(60)));
    const seen: WindowedValue<unknown>[] = [];
    const receiver: ValueReceiver = {
      receive: (element) => {
        seen.push(element);
        return operators.NonPromise;
      },
      receiveValue: () => {
        throw new Error("a window assignment makes a new element");
      },
    };
    const operator = nativeParDo(id, components, () => receiver, new MetricsContainer());
    expect(operator).to.be.instanceOf(FixedWindowsOperator);
    const at = (ms: number) => ({ value: ms, windows: [new GlobalWindow()], timestamp: Long.fromNumber(ms), pane: NO_FIRING });
    for (const ms of [60_000, 119_999, 120_000, 59_999]) operator!.processValue(ms, at(ms));
    const bounds = seen.map((e) => (e.windows as IntervalWindow[]).map((w) => [w.start.toNumber(), w.end.toNumber()]));
    expect(bounds).to.deep.equal([[[60_000, 120_000]], [[60_000, 120_000]], [[120_000, 180_000]], [[0, 60_000]]]);
  });

  it("leaves any other WindowFn to the SDK's operator", () => {
    const { components, id } = windowIntoOf(beam.windowInto(beam.slidingWindows(60, 30)));
    expect(nativeParDo(id, components, () => undefined as never, new MetricsContainer())).to.equal(undefined);
  });
});
