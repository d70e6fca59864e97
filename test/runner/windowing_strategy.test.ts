import { expect } from "chai";
import * as beam from "apache-beam"; // first: the SDK's modules have an import cycle that only resolves from its root
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import {
  afterAll,
  afterAny,
  afterCount,
  afterEach,
  afterProcessingTime,
  afterWatermark,
  always,
  defaultTrigger,
  minuteWindowsWithEarlyUpdates,
  never,
  orFinally,
  repeatedly,
  windowed,
  type TriggeredWindowing,
} from "../../sdk/windowing";
import { triggerSpecOf, windowingOf } from "../../runners/direct/handlers/windowing_strategy";
import type { PaneWindowing } from "../../runners/direct/engine/grouping";
import type { TriggerSpec } from "../../runners/direct/engine/triggers/spec";
import { capturePipeline, outputWindowing } from "../sdk/capture_pipeline";

/** Builder → pipeline proto (as shipped) → what the runner reads. */
async function runnerWindowing(
  windowing: beam.PTransform<beam.PCollection<number>, beam.PCollection<number>>,
): Promise<PaneWindowing> {
  const proto = await capturePipeline((root) => {
    root.apply(beam.create([1])).apply(beam.withName("windowing", windowing));
  });
  const shipped = runnerApi.Pipeline.fromBinary(runnerApi.Pipeline.toBinary(proto));
  return windowingOf(outputWindowing(shipped, "windowing"));
}

function runnerTrigger(options: TriggeredWindowing): Promise<TriggerSpec> {
  return runnerWindowing(windowed(beam.fixedWindows(60), options)).then((w) => w.trigger);
}

describe("sdk/windowing → runner: the engine reads the triggers the builder writes", () => {
  const cases: { name: string; trigger: runnerApi.Trigger; spec: TriggerSpec }[] = [
    { name: "default", trigger: defaultTrigger(), spec: { kind: "default" } },
    { name: "afterWatermark alone", trigger: afterWatermark(), spec: { kind: "afterWatermark" } },
    {
      name: "afterWatermark with early and late firings",
      trigger: afterWatermark({ early: repeatedly(afterProcessingTime(5_000)), late: afterCount(1) }),
      spec: {
        kind: "afterWatermark",
        early: { kind: "afterProcessingTime", delayMs: 5_000 },
        late: { kind: "afterCount", count: 1 },
      },
    },
    {
      name: "afterWatermark with late firings only",
      trigger: afterWatermark({ late: afterCount(3) }),
      spec: { kind: "afterWatermark", late: { kind: "afterCount", count: 3 } },
    },
    { name: "afterProcessingTime(0)", trigger: afterProcessingTime(0), spec: { kind: "afterProcessingTime", delayMs: 0 } },
    {
      name: "repeatedly(afterCount)",
      trigger: repeatedly(afterCount(100)),
      spec: { kind: "repeatedly", trigger: { kind: "afterCount", count: 100 } },
    },
    {
      name: "afterAny",
      trigger: repeatedly(afterAny(afterCount(100), afterProcessingTime(1_000))),
      spec: {
        kind: "repeatedly",
        trigger: {
          kind: "afterAny",
          triggers: [
            { kind: "afterCount", count: 100 },
            { kind: "afterProcessingTime", delayMs: 1_000 },
          ],
        },
      },
    },
    {
      name: "afterAll",
      trigger: afterAll(afterCount(2), afterProcessingTime(10)),
      spec: {
        kind: "afterAll",
        triggers: [
          { kind: "afterCount", count: 2 },
          { kind: "afterProcessingTime", delayMs: 10 },
        ],
      },
    },
    {
      name: "afterEach",
      trigger: afterEach(afterCount(1), afterWatermark()),
      spec: { kind: "afterEach", triggers: [{ kind: "afterCount", count: 1 }, { kind: "afterWatermark" }] },
    },
    {
      name: "orFinally",
      trigger: orFinally(repeatedly(afterCount(1)), afterCount(10)),
      spec: {
        kind: "orFinally",
        main: { kind: "repeatedly", trigger: { kind: "afterCount", count: 1 } },
        until: { kind: "afterCount", count: 10 },
      },
    },
    { name: "always", trigger: always(), spec: { kind: "always" } },
    { name: "never", trigger: never(), spec: { kind: "never" } },
  ];
  for (const { name, trigger, spec } of cases) {
    it(`translates ${name}`, async () => {
      expect(await runnerTrigger({ trigger })).to.deep.equal(spec);
    });
  }

  it("reads the dashboard's minute windows whole", async () => {
    expect(await runnerWindowing(minuteWindowsWithEarlyUpdates(5_000, { allowedLatenessMs: 10 * 60_000 }))).to.deep.equal({
      trigger: {
        kind: "afterWatermark",
        early: { kind: "afterProcessingTime", delayMs: 5_000 },
        late: { kind: "afterCount", count: 1 },
      },
      allowedLatenessMs: 600_000,
      accumulating: true,
      onTimeFireAlways: true,
      closingFireAlways: false,
      outputTime: "endOfWindow",
    });
  });

  it("reads the strategy the SDK builds by itself (no base) as it says", async () => {
    expect(await runnerWindowing(beam.windowInto(beam.fixedWindows(60)))).to.deep.equal({
      trigger: { kind: "default" },
      allowedLatenessMs: 0,
      accumulating: false,
      onTimeFireAlways: true,
      closingFireAlways: true,
      outputTime: "endOfWindow",
    });
  });

  it("reads unset (UNSPECIFIED) fields as Beam's defaults", () => {
    expect(windowingOf(runnerApi.WindowingStrategy.create({}))).to.deep.equal({
      trigger: { kind: "default" },
      allowedLatenessMs: 0,
      accumulating: false,
      onTimeFireAlways: true,
      closingFireAlways: false,
      outputTime: "endOfWindow",
    });
  });

  it("refuses, by name, what the engine cannot run", () => {
    expect(() =>
      triggerSpecOf({ trigger: { oneofKind: "afterSynchronizedProcessingTime", afterSynchronizedProcessingTime: {} } }),
    ).to.throw(/trigger afterSynchronizedProcessingTime is unsupported/);
    const aligned: runnerApi.Trigger = {
      trigger: {
        oneofKind: "afterProcessingTime",
        afterProcessingTime: {
          timestampTransforms: [{ timestampTransform: { oneofKind: "alignTo", alignTo: { period: 60_000n, offset: 0n } } }],
        },
      },
    };
    expect(() => triggerSpecOf(repeatedly(aligned))).to.throw(/trigger afterProcessingTime aligned to a period \(alignTo period 60000 ms.*unsupported/);
    expect(() => triggerSpecOf({ trigger: { oneofKind: "repeat", repeat: {} } })).to.throw(/repeat is missing its required 'subtrigger'/);
    expect(() =>
      windowingOf(runnerApi.WindowingStrategy.create({ accumulationMode: runnerApi.AccumulationMode_Enum.RETRACTING })),
    ).to.throw(/RETRACTING is unsupported/);
  });
});
