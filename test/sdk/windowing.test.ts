import { expect } from "chai";
import * as beam from "apache-beam"; // first: the SDK's modules have an import cycle that only resolves from its root
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import {
  afterAny,
  afterCount,
  afterProcessingTime,
  afterWatermark,
  minuteWindowsWithEarlyUpdates,
  repeatedly,
  windowed,
} from "../../sdk/windowing";
import { capturePipeline, outputWindowing } from "./capture_pipeline";

/** The pipeline proto as a runner receives it: through its wire format. */
async function shippedPipeline(build: (root: beam.Root) => void): Promise<runnerApi.Pipeline> {
  const proto = await capturePipeline(build);
  return runnerApi.Pipeline.fromBinary(runnerApi.Pipeline.toBinary(proto));
}

describe("sdk/windowing: triggered windowing reaches the pipeline proto", () => {
  it("carries trigger, allowed lateness, accumulation and every other field of the strategy", async () => {
    const pipeline = await shippedPipeline((root) => {
      root.apply(beam.create([1, 2, 3])).apply(
        windowed(beam.fixedWindows(60), {
          trigger: afterWatermark({ early: repeatedly(afterProcessingTime(5_000)), late: afterCount(1) }),
          allowedLatenessMs: 10 * 60_000,
          accumulation: "accumulating",
        }),
      );
    });
    const strategy = outputWindowing(pipeline, "windowed(fixedWindows(60))");
    const environments = Object.keys(pipeline.components!.environments);
    expect(strategy).to.deep.equal({
      windowFn: beam.fixedWindows(60).toProto(),
      mergeStatus: runnerApi.MergeStatus_Enum.NON_MERGING,
      windowCoderId: strategy.windowCoderId,
      trigger: {
        trigger: {
          oneofKind: "afterEndOfWindow",
          afterEndOfWindow: {
            // The explicit repeat is dropped: early and late firings repeat implicitly.
            earlyFirings: {
              trigger: {
                oneofKind: "afterProcessingTime",
                afterProcessingTime: {
                  timestampTransforms: [{ timestampTransform: { oneofKind: "delay", delay: { delayMillis: 5_000n } } }],
                },
              },
            },
            lateFirings: { trigger: { oneofKind: "elementCount", elementCount: { elementCount: 1 } } },
          },
        },
      },
      accumulationMode: runnerApi.AccumulationMode_Enum.ACCUMULATING,
      outputTime: runnerApi.OutputTime_Enum.END_OF_WINDOW,
      closingBehavior: runnerApi.ClosingBehavior_Enum.EMIT_IF_NONEMPTY,
      allowedLateness: 600_000n,
      onTimeBehavior: runnerApi.OnTimeBehavior_Enum.FIRE_IF_NONEMPTY,
      assignsToOneWindow: true,
      environmentId: "jsEnvironment",
    });
    expect(environments).to.deep.equal(["jsEnvironment"]);
    expect(pipeline.components!.coders[strategy.windowCoderId].spec!.urn).to.equal("beam:coder:interval_window:v1");
  });

  it("defaults to the default trigger, no lateness, discarding panes", async () => {
    const pipeline = await shippedPipeline((root) => {
      root.apply(beam.create([1])).apply(windowed(beam.sessions(30)));
    });
    const strategy = outputWindowing(pipeline, "windowed(sessions(30))");
    expect(strategy.trigger).to.deep.equal({ trigger: { oneofKind: "default", default: {} } });
    expect(strategy.allowedLateness).to.equal(0n);
    expect(strategy.accumulationMode).to.equal(runnerApi.AccumulationMode_Enum.DISCARDING);
    expect(strategy.mergeStatus).to.equal(runnerApi.MergeStatus_Enum.NEEDS_MERGE);
    expect(strategy.onTimeBehavior).to.equal(runnerApi.OnTimeBehavior_Enum.FIRE_IF_NONEMPTY);
    expect(strategy.closingBehavior).to.equal(runnerApi.ClosingBehavior_Enum.EMIT_IF_NONEMPTY);
  });

  it("lets the empty on-time and closing panes fire always", async () => {
    const pipeline = await shippedPipeline((root) => {
      root.apply(beam.create([1])).apply(windowed(beam.fixedWindows(10), { onTime: "fireAlways", closing: "fireAlways" }));
    });
    const strategy = outputWindowing(pipeline, "windowed(fixedWindows(10))");
    expect(strategy.onTimeBehavior).to.equal(runnerApi.OnTimeBehavior_Enum.FIRE_ALWAYS);
    expect(strategy.closingBehavior).to.equal(runnerApi.ClosingBehavior_Enum.EMIT_ALWAYS);
  });

  it("builds the dashboard's minute windows: early every 5 s, always an on-time pane, a late pane per late element, accumulating", async () => {
    const pipeline = await shippedPipeline((root) => {
      root.apply(beam.create([1])).apply(minuteWindowsWithEarlyUpdates(5_000, { allowedLatenessMs: 10 * 60_000 }));
    });
    const strategy = outputWindowing(pipeline, "windowed(fixedWindows(60))");
    expect(strategy.windowFn).to.deep.equal(beam.fixedWindows(60).toProto());
    expect(strategy.trigger).to.deep.equal(afterWatermark({ early: afterProcessingTime(5_000), late: afterCount(1) }));
    expect(strategy.allowedLateness).to.equal(600_000n);
    expect(strategy.accumulationMode).to.equal(runnerApi.AccumulationMode_Enum.ACCUMULATING);
    expect(strategy.onTimeBehavior).to.equal(runnerApi.OnTimeBehavior_Enum.FIRE_ALWAYS);
  });

  it("rejects what no trigger can mean", () => {
    expect(() => afterCount(0)).to.throw(/afterCount count must be a whole number ≥ 1, got 0/);
    expect(() => afterProcessingTime(-1)).to.throw(/delay \(ms\) must be a whole number ≥ 0/);
    expect(() => afterProcessingTime(1.5)).to.throw(/whole number/);
    expect(() => afterAny()).to.throw(/afterAny needs at least one trigger/);
    expect(() => windowed(beam.fixedWindows(60), { allowedLatenessMs: -1 })).to.throw(/allowedLatenessMs must be a whole number ≥ 0/);
  });
});
