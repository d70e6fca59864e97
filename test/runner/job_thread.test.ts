/**
 * Steps whose module keeps its state on the job's thread (`runsOnJobThread`, sdk/job_thread.ts): with
 * worker threads their stages run on the job's thread, so what they record is what the test reads,
 * while the other stages still run on the threads; in SDK worker processes, where they cannot run,
 * the job fails before it starts, naming the step and the module.
 */
import { expect } from "chai";
import * as beam from "apache-beam";
import { groupByKey } from "apache-beam/transforms/internal";
import { directRunner } from "../../runners/direct";
import { startSharedPool } from "../../runners/direct/execution/worker_pool";
import { fromArray } from "../../testing";
import { record, takeRecorded } from "./job_thread_recording";
import { onJobThread } from "./thread_probe";

const N = 1000;

/**
 * Numbers grouped (a stage boundary), each tagged with the thread that tagged it, grouped again,
 * recorded.
 */
const recordedAfterGrouping = (root: beam.Root) =>
  root
    .apply(fromArray(Array.from({ length: N }, (_, i) => i)))
    .map(beam.withName("keyed", (x: number) => ({ key: String(x % 10), value: x })))
    .apply(beam.withName("byKey", groupByKey()))
    .flatMap(beam.withName("tag", (kv: { key: string; value: Iterable<number> }) => [...kv.value].map((x) => ({ key: kv.key, value: { x, taggedOnJobThread: onJobThread() } }))))
    .apply(beam.withName("byKeyAgain", groupByKey()))
    .map(beam.withName("record", (kv: { key: string; value: Iterable<{ x: number; taggedOnJobThread: boolean }> }) => {
      for (const v of kv.value) record(v);
    }));

describe("direct runner: steps whose module lives on the job's thread", () => {
  afterEach(() => takeRecorded());

  it("with 2 workers, run on the job's thread and record every element there; the other stages still run on a worker thread", async () => {
    // A job this short starts no thread itself (shipping.ts): it reuses one started before.
    await startSharedPool(1);
    await directRunner({ workers: 2, bundleSize: 100 }).run(recordedAfterGrouping);
    const recorded = takeRecorded();
    expect(recorded.map((r) => (r.value as { x: number }).x).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: N }, (_, i) => i));
    expect(recorded.every((r) => r.onJobThread), "every record() call on the job's thread").to.equal(true);
    const tagged = recorded.map((r) => (r.value as { taggedOnJobThread: boolean }).taggedOnJobThread);
    expect(tagged.filter((onJob) => !onJob).length, "elements tagged on a worker thread").to.be.greaterThan(0);
  });

  it("in SDK worker processes, fail the job before it starts, naming the step and the module", async () => {
    const failure = await directRunner({ environment: "process", workers: 1 }).run(recordedAfterGrouping).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).to.match(/step '[^']*record[^']*' calls module beam-ts-native\/test\/runner\/job_thread_recording, whose state lives on the job's thread/);
    expect(failure?.message).to.contain('cannot run in an SDK worker process: run the job with environment "in_process"');
    expect(takeRecorded()).to.deep.equal([]);
  });
});
