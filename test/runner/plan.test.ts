/**
 * plan/stages.ts on pipeline protos the SDK builds: which steps fuse into which stage, where stages
 * start (impulse, source, grouping, flatten, a ParDo with side inputs), that a lifted combine stays
 * one step, and how side inputs are wired (the store fed once, the reader's readiness rule).
 */
import { expect } from "chai";
import * as beam from "apache-beam";
import * as combiners from "apache-beam/transforms/combiners";
import type * as runnerApi from "apache-beam/proto/beam_runner_api";
import { planStages, type Plan, type PlannedStage } from "../../runners/direct/plan/stages";
import { COMBINE_PER_KEY, GROUP_BY_KEY, TEST_STREAM_URN } from "../../runners/direct/plan/urns";
import { testStream } from "../../sdk/test_stream";
import { capturePipeline } from "../sdk/capture_pipeline";

const NO_SOURCES: ReadonlySet<string> = new Set();

async function planOf(build: (root: beam.Root) => void, sourceUrns = NO_SOURCES): Promise<{ plan: Plan; proto: runnerApi.Pipeline }> {
  const proto = await capturePipeline(build);
  return { plan: planStages(proto, sourceUrns), proto };
}

/** The unique names of a stage's steps, in the order they run. */
function stepNames(stage: PlannedStage, proto: runnerApi.Pipeline): string[] {
  return stage.transforms.map((id) => proto.components!.transforms[id].uniqueName);
}

/** The stage running the step of function `fn` (the SDK names a `map(fn)` step after its function). */
function stageRunning(plan: Plan, proto: runnerApi.Pipeline, fn: string): PlannedStage {
  const found = plan.stages.filter((s) => stepNames(s, proto).some((n) => n.endsWith(`(${fn})`)));
  if (found.length !== 1) throw new Error(`${found.length} stages run ${fn}`);
  return found[0];
}

function double(x: number): number {
  return x * 2;
}
function addOne(x: number): number {
  return x + 1;
}
function keyed(x: number): { key: string; value: number } {
  return { key: x % 2 === 0 ? "even" : "odd", value: x };
}

describe("plan: fused stages from the pipeline proto", () => {
  it("fuses a chain of ParDos into the impulse's stage, producers first", async () => {
    const { plan, proto } = await planOf((root) => {
      root.apply(beam.impulse()).map(() => 1).map(double).map(addOne);
    });
    expect(plan.stages).to.have.length(1);
    const [stage] = plan.stages;
    expect(stage.root.kind).to.equal("impulse");
    const names = stepNames(stage, proto);
    const doubleAt = names.indexOf("map(double)");
    expect(doubleAt).to.be.at.least(0);
    expect(doubleAt).to.be.lessThan(names.indexOf("map(addOne)"));
    expect(stage.upstream).to.deep.equal([]);
    // Every fused step knows its main input.
    for (const id of stage.transforms) expect(plan.mainInputOf.has(id)).to.equal(true);
  });

  it("starts a stage at a GroupByKey, fed by the stage producing its input", async () => {
    const { plan, proto } = await planOf((root) => {
      root.apply(beam.impulse()).flatMap(() => [1, 2, 3]).map(keyed).apply(beam.groupBy("key")).map(function afterGroup(kv: unknown) {
        return kv;
      });
    });
    const after = stageRunning(plan, proto, "afterGroup");
    expect(after.root.kind).to.equal("grouping");
    const grouping = proto.components!.transforms[(after.root as { transformId: string }).transformId];
    expect(grouping.spec!.urn).to.equal(GROUP_BY_KEY);
    const before = stageRunning(plan, proto, "keyed");
    expect(after.upstream).to.deep.equal([before.id]);
    expect([...before.outputs.values()].flat()).to.deep.include({ kind: "stage", stage: after.id });
  });

  it("keeps a lifted combine as one grouping step: its expansion runs nowhere", async () => {
    const { plan, proto } = await planOf((root) => {
      root.apply(beam.impulse()).flatMap(() => [1, 2, 3]).map(keyed).apply(beam.groupBy("key").combining("value", combiners.sum, "total"));
    });
    const groupings = plan.stages.filter((s) => s.root.kind === "grouping");
    expect(groupings).to.have.length(1);
    const combine = proto.components!.transforms[(groupings[0].root as { transformId: string }).transformId];
    expect(combine.spec!.urn).to.equal(COMBINE_PER_KEY);
    expect(combine.subtransforms, "the SDK expands the combine").to.not.be.empty;
    const inAnyStage = new Set(plan.stages.flatMap((s) => s.transforms));
    for (const sub of combine.subtransforms) expect(inAnyStage.has(sub), proto.components!.transforms[sub].uniqueName).to.equal(false);
  });

  it("starts a stage at a Flatten, with every producer upstream", async () => {
    const { plan, proto } = await planOf((root) => {
      const a = root.apply(beam.withName("impulseA", beam.impulse())).map(function left() {
        return 1;
      });
      const b = root.apply(beam.withName("impulseB", beam.impulse())).map(function right() {
        return 2;
      });
      beam.P([a, b]).apply(beam.flatten()).map(function merged(x: number) {
        return x;
      });
    });
    const merged = stageRunning(plan, proto, "merged");
    expect(merged.root.kind).to.equal("queue");
    expect([...merged.upstream].sort()).to.deep.equal([stageRunning(plan, proto, "left").id, stageRunning(plan, proto, "right").id].sort());
  });

  it("roots a stage at a transform whose URN is a source", async () => {
    const { plan } = await planOf(
      (root) => {
        root.apply(testStream<number>().addElements({ value: 1, timestamp: 0 }).advanceWatermarkToInfinity()).map(double);
      },
      new Set([TEST_STREAM_URN]),
    );
    expect(plan.stages.map((s) => s.root.kind)).to.deep.equal(["source"]);
    expect(plan.stages[0].transforms).to.have.length.greaterThan(0);
  });

  it("wires a side input: the reader gets a stage of its own, the producer feeds the store once", async () => {
    const { plan, proto } = await planOf((root) => {
      const numbers = root.apply(beam.impulse()).flatMap(function three() {
        return [1, 2, 3];
      });
      const total = numbers.apply(beam.groupGlobally<number>().combining((x) => x, combiners.sum, "total"));
      const side = { total: beam.singletonSideInput(total) };
      numbers.map(function shareA(x: number) {
        return x;
      }, side);
      numbers.map(function shareB(x: number) {
        return x;
      }, side);
    });
    const readerA = stageRunning(plan, proto, "shareA");
    const readerB = stageRunning(plan, proto, "shareB");
    expect(readerA.id).to.not.equal(readerB.id);
    expect(readerA.root.kind).to.equal("queue");
    expect(readerA.sideInputs).to.have.length(1);
    const [{ pcollection, producer, globalWindow }] = readerA.sideInputs;
    expect(globalWindow).to.equal(true);
    const producing = plan.stages.find((s) => s.id === producer)!;
    // Two readers, one store: the side input is routed to it once.
    expect(producing.outputs.get(pcollection)!.filter((d) => d.kind === "sideInput")).to.deep.equal([{ kind: "sideInput", pcollection }]);
    expect(readerA.upstream).to.deep.equal([stageRunning(plan, proto, "three").id]);
  });

  it("reads a windowed side input as per window (not global)", async () => {
    const { plan, proto } = await planOf((root) => {
      const windowed = root
        .apply(beam.impulse())
        .flatMap(() => [1, 2])
        .apply(beam.windowInto(beam.fixedWindows(10)));
      const count = windowed.apply(beam.countGlobally());
      windowed.map(function withCount(x: number) {
        return x;
      }, { count: beam.singletonSideInput(count) });
    });
    expect(stageRunning(plan, proto, "withCount").sideInputs.map((s) => s.globalWindow)).to.deep.equal([false]);
  });

  it("names the step when it reads a PCollection no step produces", async () => {
    const proto = await capturePipeline((root) => {
      root.apply(beam.impulse()).map(() => 1).map(double);
    });
    const step = Object.values(proto.components!.transforms).find((t) => t.uniqueName === "map(double)")!;
    const tag = Object.keys(step.inputs)[0];
    step.inputs[tag] = "nowhere";
    expect(() => planStages(proto, NO_SOURCES)).to.throw(`step '${step.uniqueName}' reads PCollection 'nowhere', which no step produces`);
  });
});
