/**
 * The worker-thread executor (runners/direct/execution/worker_threads.ts) never hangs and never
 * orphans a thread: tiny inputs at several worker counts, wide and deep graphs, a step that throws
 * and a worker thread that dies, each failing the job with a message naming what failed, after
 * which no worker thread is left running. Jobs this short start no thread themselves (shipping.ts):
 * each test starts the threads its jobs then use, so that their parts cross.
 */
import { expect } from "chai";
import * as beam from "apache-beam";
import * as combiners from "apache-beam/transforms/combiners";
import { directRunner } from "../../runners/direct";
import { runPipeline, fromArray, expectSameElements } from "../../testing";
import { runningWorkerThreads, startSharedPool } from "../../runners/direct/execution/worker_pool";
import { POOL_AT_START_BYTES } from "../../runners/direct/execution/shipping";
import { annotateInputBytes } from "../../sdk/input_bytes";
import type { PTransform } from "apache-beam/proto/beam_runner_api";
import { exitWorkerThread } from "./exit_thread";
import { burnCpu } from "./cpu_burn";

/** Waits (bounded) until no worker thread runs; fails naming how many are left. */
async function noWorkerThreadLeft(withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (runningWorkerThreads() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(runningWorkerThreads(), "worker threads still running").to.equal(0);
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("the job succeeded; it should have failed");
}

const sumsByParity = (n: number) => (root: beam.Root) =>
  root
    .apply(fromArray(Array.from({ length: n }, (_, i) => i)))
    .map((x: number) => ({ parity: x % 2 === 0 ? "even" : "odd", x }))
    .apply(beam.groupBy("parity").combining("x", combiners.sum, "total"));

describe("direct runner on worker threads: never hang, never orphan", () => {
  for (const workers of [2, 3]) {
    for (const n of [0, 1, 10]) {
      it(`${n} element(s) on ${workers} workers, in bundles of 1 and 1000: the same sums as on one thread`, async () => {
        const expected = await runPipeline(sumsByParity(n), { runner: directRunner({ workers: 1 }) });
        for (const bundleSize of [1, 1000]) {
          await startSharedPool(workers - 1);
          const actual = await runPipeline(sumsByParity(n), { runner: directRunner({ workers, bundleSize }) });
          expectSameElements(actual as unknown[], expected as unknown[]);
        }
        expect((expected as unknown[]).length).to.equal(Math.min(n, 2));
      });
    }
  }

  it("numbers beyond int32 (sums of money in paise), NaN and Infinity cross threads as they are", async () => {
    await startSharedPool(1);
    const big = [3_000_000_000, -5_000_000_000, 2 ** 53 - 1, 1.5];
    const crossed = await runPipeline(
      (root) =>
        root
          .apply(fromArray([...big, NaN, Infinity]))
          .map((x: number) => ({ parity: "all", x }))
          .apply(beam.groupBy("parity").combining("x", combiners.max, "max")),
      { runner: directRunner({ workers: 2, bundleSize: 1 }) },
    );
    expect(crossed).to.deep.equal([{ parity: "all", max: Infinity }]);
    await startSharedPool(1);
    const sums = await runPipeline(
      (root) =>
        root
          .apply(fromArray(big.map((x) => ({ k: "k", x }))))
          .apply(beam.groupBy("k").combining("x", combiners.sum, "total")),
      { runner: directRunner({ workers: 2, bundleSize: 2 }) },
    );
    expect(sums).to.deep.equal([{ k: "k", total: big.reduce((a, b) => a + b, 0) }]);
  });

  it("a value larger than BSON's 17 MiB buffer crosses threads (a shuffle of every device's counts, say)", async () => {
    await startSharedPool(1);
    const mib = 2 ** 20;
    const lengths = await runPipeline(
      (root) =>
        root
          .apply(fromArray([18, 19]))
          .map(beam.withName("textOfMiB", (size: number) => ({ k: "k", text: "x".repeat(size * mib) })))
          .apply(beam.groupBy("k"))
          .map(beam.withName("lengths", (group: { value: { text: string }[] }) => ({ lengths: [...group.value].map((v) => v.text.length).sort((a, b) => a - b) }))),
      { runner: directRunner({ workers: 2, bundleSize: 1 }) },
    );
    expect(lengths).to.deep.equal([{ lengths: [18 * mib, 19 * mib] }]);
  });

  it("a wide graph (40 branches of one source, flattened) and a deep one (150 maps) on 2 workers", async () => {
    await startSharedPool(1);
    const wide = await runPipeline(
      (root) => {
        const source = root.apply(fromArray([1, 2, 3]));
        const branches = Array.from({ length: 40 }, (_, b) => source.map(beam.withName(`branch${b}`, (x: number) => x * 100 + b)));
        return beam.P(branches).apply(beam.flatten()).apply(beam.groupGlobally<number>().combining((x: number) => x, combiners.sum, "total"));
      },
      { runner: directRunner({ workers: 2, bundleSize: 2 }) },
    );
    const perBranch = (b: number) => 100 + b + 200 + b + 300 + b;
    expect(wide).to.deep.equal([{ total: Array.from({ length: 40 }, (_, b) => perBranch(b)).reduce((a, c) => a + c, 0) }]);
    await startSharedPool(1);
    const deep = await runPipeline(
      (root) => {
        let p = root.apply(fromArray(Array.from({ length: 50 }, (_, i) => i)));
        for (let d = 0; d < 150; d++) p = p.map(beam.withName(`step${d}`, (x: number) => x + 1));
        return p;
      },
      { runner: directRunner({ workers: 2, bundleSize: 7 }) },
    );
    expectSameElements(deep as unknown[], Array.from({ length: 50 }, (_, i) => i + 150));
  });

  it("a step that throws on a worker fails the job naming the step and the element, and stops every thread", async () => {
    await startSharedPool(1);
    const error = await rejectionOf(
      runPipeline(
        (root) =>
          root.apply(fromArray(Array.from({ length: 100 }, (_, i) => i))).map(
            beam.withName("rejectSeventyThree", (x: number) => {
              if (x === 73) throw new Error("73 is not welcome");
              return x;
            }),
          ),
        { runner: directRunner({ workers: 2, bundleSize: 10 }) },
      ),
    );
    expect(error.name).to.equal("StepFailure");
    expect(error.message).to.include("rejectSeventyThree").and.to.include("73 is not welcome").and.to.include("on element 73");
    await noWorkerThreadLeft();
  });

  it("a worker thread that dies fails the job naming the thread and the stage, and stops every thread", async () => {
    // The one-part bundle below crosses to the started thread.
    await startSharedPool(1);
    const error = await rejectionOf(
      runPipeline(
        (root) =>
          root.apply(fromArray(Array.from({ length: 20 }, (_, i) => i))).map(
            beam.withName("dieOnTwelve", (x: number) => {
              if (x === 12) exitWorkerThread(7);
              return x;
            }),
          ),
        { runner: directRunner({ workers: 2, bundleSize: 4 }) },
      ),
    );
    expect(error.message).to.match(/worker thread \d exited \(code 7\) while running a bundle of stage/);
    await noWorkerThreadLeft();
  });

  // After the test above: no thread is running.
  it("a job over a bounded input whose first element uses 80 ms of CPU starts the threads at once, its work left however small", async () => {
    expect(runningWorkerThreads(), "threads before the job").to.equal(0);
    // Two such elements, a stage of their own: the second is the sample of the stage's cost, after
    // which nothing is left to decide on (shipping.ts) — yet the first run alone says the job is heavy.
    const out = await runPipeline(
      (root) =>
        root.apply(beam.create([1, 2], true)).map(
          beam.withName("eightyCpuMilliseconds", (x: number) => {
            burnCpu(80);
            return x;
          }),
        ),
      { runner: directRunner({ workers: 2 }) },
    );
    expectSameElements(out as unknown[], [1, 2]);
    expect(runningWorkerThreads(), "threads started by the job").to.equal(1);
  });

  it("an idle pool is stopped after its last job", async () => {
    await startSharedPool(1);
    await runPipeline(sumsByParity(3), { runner: directRunner({ workers: 2 }) });
    expect(runningWorkerThreads()).to.be.greaterThan(0);
    await noWorkerThreadLeft(15_000);
  });

  // After the test above: no pool is left.
  it("a short job on 2 workers starts no thread; a bundle with seconds of work left starts them", async () => {
    const short = await runPipeline(sumsByParity(1000), { runner: directRunner({ workers: 2 }) });
    expect(short).to.have.length(2);
    expect(runningWorkerThreads(), "threads started by a short job").to.equal(0);
    // 300 elements of 5 ms each (a stage of their own, as a file's splits are): 1.5 s on one thread.
    const heavy = await runPipeline(
      (root) =>
        root.apply(beam.create(Array.from({ length: 300 }, (_, i) => i), true)).map(
          beam.withName("fiveMilliseconds", (x: number) => {
            const end = Date.now() + 5;
            while (Date.now() < end);
            return x;
          }),
        ),
      { runner: directRunner({ workers: 2 }) },
    );
    expectSameElements(heavy as unknown[], Array.from({ length: 300 }, (_, i) => i));
    expect(runningWorkerThreads(), "threads started for the heavy bundle").to.equal(1);
  });

  // After the test above: its pool of one thread is idle.
  it("a job whose sources announce 32 MiB of input starts its threads at its start, its work however small", async () => {
    const announcing = beam.withName("announcing", (root: beam.Root, _pipeline: unknown, transform: PTransform) => {
      annotateInputBytes(transform, POOL_AT_START_BYTES);
      return root.apply(fromArray([1, 2, 3]));
    });
    const out = await runPipeline((root) => root.apply(announcing).map((x: number) => x * 2), { runner: directRunner({ workers: 3 }) });
    expectSameElements(out as unknown[], [2, 4, 6]);
    expect(runningWorkerThreads(), "the job's own pool of two threads").to.be.at.least(2);
  });
});
