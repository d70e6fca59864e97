/**
 * The read-only view of a job (`result.status()`, `result.observe()`): every PCollection counted
 * once, where it is produced — also where a stage re-reads it (a side-input ParDo's main input) —
 * the stages' watermarks, and listeners that see each element and cannot break the job.
 */
import { expect } from "chai";
import * as beam from "apache-beam";
import * as combiners from "apache-beam/transforms/combiners";
import { directRunner, type DirectPipelineResult } from "../../runners/direct";

/** amounts ─┬─ share (side input: total) ─▶ shares;  amounts ─▶ total */
function diamond(root: beam.Root): beam.PCollection<number> {
  const amounts = root.apply(beam.withName("amounts", beam.create([10, 30, 60])));
  const total: beam.PCollection<{ total: number }> = amounts.apply(beam.withName("total", beam.groupGlobally<number>().combining((x: number) => x, combiners.sum, "total")));
  return amounts.map(
    beam.withName("share", function share(amount: number, context: { total: beam.ParDoLookupParam<{ total: number }> }) {
      return amount / context.total.lookup().total;
    }),
    { total: beam.singletonSideInput(total) },
  );
}

/** The single output PCollection of the step named `name`. */
function outputOf(result: DirectPipelineResult, name: string): string {
  const step = Object.values(result.status().pipeline.components!.transforms).find((t) => t.uniqueName === name)!;
  return Object.values(step.outputs)[0];
}

describe("direct runner: the job's status and observers", () => {
  it("counts each PCollection once, where it is produced, even where a side-input stage reads it again", async () => {
    const result = (await directRunner().run(diamond)) as DirectPipelineResult;
    const status = result.status();
    expect(status.state).to.equal("DONE");
    const amounts = outputOf(result, "amounts");
    // The side-input ParDo starts a stage of its own whose root is `amounts`: it must not count it twice.
    expect(status.stages.some((s) => s.rootKind === "queue" && s.rootPCollection === amounts)).to.equal(true);
    expect(status.pcollections[amounts]).to.equal(3);
    expect(status.pcollections[outputOf(result, "map(share)")]).to.equal(3);
    expect(status.pcollections[outputOf(result, "total")]).to.equal(1);
    for (const stage of status.stages) {
      expect(stage.inputWatermark, stage.name).to.equal(Infinity);
      expect(stage.outputWatermark, stage.name).to.equal(Infinity);
    }
    const planned = status.stages.flatMap((s) => s.transforms);
    expect(new Set(planned).size, "each step in one stage").to.equal(planned.length);
  });

  it("shows a watcher every element of the PCollection it observes, and detaches one that throws without failing the job", async () => {
    const seen: number[] = [];
    let calls = 0;
    const result = (await directRunner().runAsync((root) =>
      root.apply(beam.withName("numbers", beam.create([1, 2, 3, 4]))).map(beam.withName("double", (x: number) => 2 * x)),
    )) as DirectPipelineResult;
    // Bundles of a job run after runAsync resolves: watchers attached now see every element.
    result.observe(outputOf(result, "map(double)"), (e) => seen.push(e.value as number));
    result.observe(outputOf(result, "map(double)"), () => {
      calls++;
      throw new Error("a broken watcher");
    });
    await result.waitUntilFinish(30_000);
    expect(result.status().state).to.equal("DONE");
    expect(seen.sort()).to.deep.equal([2, 4, 6, 8]);
    expect(calls).to.equal(1);
  });
});
