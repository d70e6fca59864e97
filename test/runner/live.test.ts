/**
 * Live streaming on the wall clock: a synthetic unbounded source, stop conditions, signals, and a
 * sink that stops answering.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as path from "path";
import * as beam from "apache-beam";
import * as combiners from "apache-beam/transforms/combiners";
import { directRunner, type DirectPipelineResult } from "../../runners/direct";
import { syntheticStream } from "../../io/synthetic_stream";
import { writeInBatches } from "../../io/batching_sink";
import { runJob } from "../../testing";
import { describeAtWorkerCounts, testWorkers } from "../support/worker_counts";
import { testStream } from "../../sdk/test_stream";
import { neverAnswer } from "./slow_write";

/** Per 100 ms window: how many elements and their sum. */
function windowTotals(root: beam.Root, settings: Parameters<typeof syntheticStream<number>>[0]) {
  return root
    .apply(syntheticStream<number>(settings))
    .apply(beam.windowInto(beam.fixedWindows(0.1)))
    .apply(beam.groupGlobally<number>().combining((n) => n as number, combiners.sum, "sum").combining((n) => n as number, combiners.count, "count"));
}

const ROOT = path.resolve(__dirname, "..", "..");

/** Runs test/runner/endless_job.ts, sends it `signals` once it is running, and returns how it ended. */
function endlessJob(signals: number, mode = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "./scripts/register.js", "test/runner/endless_job.ts", mode], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (d) => {
      stdout += d;
      if (stdout.includes("ready") && !stdout.includes("signalled")) {
        stdout += "signalled\n";
        // Let it read for a moment, then signal (twice 100 ms apart for a cancel).
        setTimeout(() => {
          for (let i = 0; i < signals; i++) setTimeout(() => child.kill("SIGINT"), i * 100);
        }, 300);
      }
    });
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

describeAtWorkerCounts("live streaming (wall clock)", () => {
  it("a bounded synthetic stream ends by itself; every element is in exactly one window's pane", async () => {
    const { outputs } = await runJob((root) => windowTotals(root, { make: (i) => i, elementsPerSecond: 0, maxElements: 20_000 }), {
      runner: directRunner({ workers: testWorkers() }),
    });
    const panes = outputs as { sum: number; count: number }[];
    expect(panes.reduce((n, p) => n + p.count, 0)).to.equal(20_000);
    expect(panes.reduce((n, p) => n + p.sum, 0)).to.equal((20_000 * 19_999) / 2);
  });

  it("fires windows while a stream flows at full speed, not only once it stops", async () => {
    const { outputs } = await runJob(
      (root) =>
        windowTotals(root, { make: (i) => i, elementsPerSecond: 0 }).map(
          (pane: { count: number }, ctx: { window: beam.ParDoLookupParam<beam.Window> }) => ({
            count: pane.count,
            delayMs: Date.now() - Number((ctx.window.lookup() as beam.IntervalWindow).end.toString()),
          }),
          { window: beam.windowParam() },
        ),
      { runner: directRunner({ workers: testWorkers(), stopAfter: { durationMs: 2_000 } }) },
    );
    const delays = (outputs as { delayMs: number }[]).map((p) => p.delayMs).sort((a, b) => a - b);
    // Ten 100 ms windows a second for two seconds; were panes fired only at the drain, the median
    // window would have closed about a second before its pane.
    expect(delays.length).to.be.greaterThan(10);
    expect(delays[Math.floor(delays.length / 2)]).to.be.below(300);
  });

  it("--max-duration drains an endless stream: what was read is all in the output, and the job is DONE", async () => {
    const { outputs, result } = await runJob(
      (root) => windowTotals(root, { make: (i) => i, elementsPerSecond: 5_000 }),
      { runner: directRunner({ workers: testWorkers(), stopAfter: { durationMs: 400 } }) },
    );
    const read = (result as DirectPipelineResult).progress().sourceElements;
    expect(read).to.be.greaterThan(500);
    expect((outputs as { count: number }[]).reduce((n, p) => n + p.count, 0)).to.equal(read);
    expect((result as DirectPipelineResult).drainReason()).to.match(/stopAfter\.durationMs 400\)/);
  });

  it("--idle-timeout drains a stream that went quiet (processing time driven by a TestStream)", async () => {
    const stream = testStream<number>()
      .addElements({ value: 1, timestamp: 0 })
      .advanceProcessingTime(500)
      .addElements({ value: 2, timestamp: 10 })
      .advanceWatermarkToInfinity();
    const { outputs, result } = await runJob((root) => root.apply(stream), { runner: directRunner({ workers: testWorkers(), stopAfter: { idleMs: 200 } }) });
    expect(outputs).to.deep.equal([1]);
    expect((result as DirectPipelineResult).drainReason()).to.match(/no input for 500 ms \(stopAfter\.idleMs 200\)/);
  });

  it("a sink that stops answering fails the job, naming it, after the stall timeout", async () => {
    const started = Date.now();
    let error: Error | undefined;
    await runJob(
      (root) =>
        windowTotals(root, { make: (i) => i, elementsPerSecond: 0, maxElements: 10 }).apply(
          writeInBatches("deadSink", (batch: unknown[]) => neverAnswer(batch), { batchSize: 1, maxInFlight: 1 }),
        ),
      { runner: directRunner({ workers: testWorkers(), stallTimeoutMs: 300 }) },
    ).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/step 'deadSink' made no progress for 300 ms/);
    expect(Date.now() - started).to.be.below(5_000);
  });

});

// The command line runs at its default worker count.
describe("live streaming: signals", () => {
  it("Ctrl-C drains: the job ends DONE with exit 0", async () => {
    const { code, stdout, stderr } = await endlessJob(1);
    expect(stderr).to.match(/SIGINT: draining/);
    expect(stdout).to.match(/state DONE read \d+/);
    expect(code).to.equal(0);
  });

  it("a second Ctrl-C cancels at once, says what is lost, and exits non-zero", async () => {
    const { code, stdout, stderr } = await endlessJob(2, "slow");
    expect(stderr).to.match(/SIGINT again: cancelling\. Lost: \d+ pending elements/);
    expect(stdout).to.match(/state CANCELLED/);
    expect(code).to.equal(1);
  });
});
