/**
 * Streaming semantics of the direct runner, driven by TestStream: watermarks, event-time windows,
 * panes (timing, index, first/last), allowed lateness, triggers, accumulation, drain.
 * Every pane is observed as a plain record, in the order the runner emitted it.
 */
import { expect } from "chai";
import * as beam from "apache-beam";
import * as combiners from "apache-beam/transforms/combiners";
import Long from "long";
import { directRunner, type DirectPipelineResult, type DirectRunnerOptions } from "../../runners/direct";
import { runJob, runPipeline } from "../../testing";
import { describeAtWorkerCounts, testWorkers } from "../support/worker_counts";
import { testStream, TestStream } from "../../sdk/test_stream";
import { afterCount, afterProcessingTime, afterWatermark, repeatedly, windowed, minuteWindowsWithEarlyUpdates } from "../../sdk/windowing";

interface Sale {
  user: string;
  amount: number;
}

/** One emitted pane of a per-key sum, as plain data. */
interface Pane {
  key: string;
  total: number;
  window: [number, number];
  timing: string;
  index: number;
  onTimeIndex: number;
  isFirst: boolean;
  isLast: boolean;
}

const MINUTE = 60_000;
const sale = (user: string, amount: number, at: number) => ({ value: { user, amount }, timestamp: at });

/** Sum of amounts per user, with each pane's window and pane info. */
function totalsPerUser(windowing: beam.PTransform<beam.PCollection<Sale>, beam.PCollection<Sale>>) {
  return (input: beam.PCollection<Sale>) =>
    input
      .apply(windowing)
      .apply(beam.groupBy((s: Sale) => s.user).combining((s: Sale) => s.amount, combiners.sum, "total"))
      .map(
        (row: { key: string; total: number }, ctx: { window: beam.ParDoLookupParam<beam.Window>; pane: beam.ParDoLookupParam<beam.PaneInfo> }) => {
          const w = ctx.window.lookup() as beam.IntervalWindow;
          const p = ctx.pane.lookup();
          return {
            key: row.key,
            total: row.total,
            window: [Number(w.start.toString()), Number(w.end.toString())],
            timing: p.timing,
            index: p.index,
            onTimeIndex: p.onTimeIndex,
            isFirst: p.isFirst,
            isLast: p.isLast,
          } as Pane;
        },
        { window: beam.windowParam(), pane: beam.paneInfoParam() },
      );
}

async function run(
  stream: TestStream<Sale>,
  windowing: beam.PTransform<beam.PCollection<Sale>, beam.PCollection<Sale>>,
  options: DirectRunnerOptions = {},
): Promise<{ outputs: Pane[]; result: DirectPipelineResult }> {
  const { outputs, result } = await runJob((root) => root.apply(stream).apply(totalsPerUser(windowing)), { runner: directRunner({ workers: testWorkers(), ...options }) });
  return { outputs: outputs as Pane[], result: result as DirectPipelineResult };
}

const pane = (key: string, total: number, window: [number, number], timing: string, index: number, onTimeIndex: number, isLast: boolean): Pane => ({
  key,
  total,
  window,
  timing,
  index,
  onTimeIndex,
  isFirst: index === 0,
  isLast,
});

describeAtWorkerCounts("streaming: watermarks, windows and panes (TestStream)", () => {
  it("fixed windows fire once the watermark passes their end, out-of-order elements included", async () => {
    const stream = testStream<Sale>()
      .addElements(sale("ana", 5, 50_000), sale("ana", 1, 10_000), sale("bo", 2, 70_000))
      .advanceWatermarkTo(59_999)
      .addElements(sale("ana", 3, 30_000))
      .advanceWatermarkTo(MINUTE)
      .addElements(sale("bo", 4, 61_000))
      .advanceWatermarkToInfinity();
    const { outputs } = await run(stream, beam.windowInto(beam.fixedWindows(60)));
    expect(outputs).to.deep.equal([
      pane("ana", 9, [0, MINUTE], "ON_TIME", 0, 0, true),
      pane("bo", 6, [MINUTE, 2 * MINUTE], "ON_TIME", 0, 0, true),
    ]);
  });

  it("sliding windows: every window covering an element gets its pane", async () => {
    const stream = testStream<Sale>().addElements(sale("ana", 1, 10_000), sale("ana", 2, 40_000)).advanceWatermarkToInfinity();
    const { outputs } = await run(stream, beam.windowInto(beam.slidingWindows(60, 30)));
    expect(outputs.map((p) => [p.window, p.total])).to.have.deep.members([
      [[-30_000, 30_000], 1],
      [[0, MINUTE], 3],
      [[30_000, 90_000], 2],
    ]);
  });

  it("sessions merge, and a late-but-allowed element bridging two sessions merges them into a late pane", async () => {
    const stream = testStream<Sale>()
      .addElements(sale("ana", 1, 0), sale("ana", 2, 4_000), sale("ana", 10, 20_000))
      .advanceWatermarkTo(40_000)
      .addElements(sale("ana", 100, 12_000))
      .advanceWatermarkToInfinity();
    const { outputs } = await run(stream, windowed(beam.sessions(10), { allowedLatenessMs: MINUTE, accumulation: "accumulating" }));
    // The two sessions fire at the same watermark, in no particular order; the merged one after them.
    expect(outputs.slice(0, 2)).to.have.deep.members([
      pane("ana", 3, [0, 14_000], "ON_TIME", 0, 0, false),
      pane("ana", 10, [20_000, 30_000], "ON_TIME", 0, 0, false),
    ]);
    expect(outputs.slice(2)).to.deep.equal([
      // 12 000 + 10 s gap bridges [0, 14 000) and [20 000, 30 000): one session, fired late. Not the
      // last pane: the window may still take late data until the watermark passes 30 000 + 1 min.
      pane("ana", 113, [0, 30_000], "LATE", 1, 1, false),
    ]);
  });

  it("late data within the allowed lateness makes late panes; beyond it is dropped and counted", async () => {
    const stream = testStream<Sale>()
      .addElements(sale("ana", 1, 1_000))
      .advanceWatermarkTo(MINUTE + 1_000)
      .addElements(sale("ana", 2, 2_000))
      .advanceWatermarkTo(3 * MINUTE)
      .addElements(sale("ana", 4, 3_000), sale("ana", 8, 4_000))
      .advanceWatermarkToInfinity();
    const { outputs, result } = await run(stream, windowed(beam.fixedWindows(60), { allowedLatenessMs: MINUTE }));
    expect(outputs).to.deep.equal([
      pane("ana", 1, [0, MINUTE], "ON_TIME", 0, 0, false),
      pane("ana", 2, [0, MINUTE], "LATE", 1, 1, false),
    ]);
    expect((await result.counters()).droppedDueToLateness).to.equal(2);
  });

  it("early firings every 5 s of processing time, the on-time pane, then late corrections (accumulating)", async () => {
    const stream = testStream<Sale>()
      .addElements(sale("ana", 1, 1_000), sale("ana", 2, 2_000))
      .advanceProcessingTime(5_000)
      .addElements(sale("ana", 4, 3_000))
      .advanceProcessingTime(2_000)
      .advanceProcessingTime(3_000)
      .advanceProcessingTime(5_000) // nothing new: no empty early pane
      .advanceWatermarkTo(MINUTE)
      .addElements(sale("ana", 8, 4_000))
      .advanceWatermarkToInfinity();
    const { outputs } = await run(stream, minuteWindowsWithEarlyUpdates(5_000, { allowedLatenessMs: 10 * MINUTE }));
    expect(outputs).to.deep.equal([
      pane("ana", 3, [0, MINUTE], "EARLY", 0, -1, false),
      pane("ana", 7, [0, MINUTE], "EARLY", 1, -1, false),
      pane("ana", 7, [0, MINUTE], "ON_TIME", 2, 0, false),
      pane("ana", 15, [0, MINUTE], "LATE", 3, 1, false),
    ]);
  });

  it("discarding panes hold only what arrived since the previous pane", async () => {
    const stream = testStream<Sale>()
      .addElements(sale("ana", 1, 1_000), sale("ana", 2, 2_000))
      .addElements(sale("ana", 4, 3_000))
      .addElements(sale("ana", 8, 4_000), sale("ana", 16, 5_000))
      .advanceWatermarkToInfinity();
    const { outputs } = await run(
      stream,
      windowed(beam.fixedWindows(60), { trigger: repeatedly(afterCount(2)), accumulation: "discarding" }),
    );
    // Each addElements is processed before the next: counts 2 → fire (3); 1 → wait; +2 → fire (4+8+16 = 28).
    expect(outputs.map((p) => [p.total, p.timing])).to.deep.equal([
      [3, "EARLY"],
      [28, "EARLY"],
    ]);
  });

  it("accumulating panes repeat everything so far", async () => {
    const stream = testStream<Sale>()
      .addElements(sale("ana", 1, 1_000), sale("ana", 2, 2_000))
      .addElements(sale("ana", 4, 3_000), sale("ana", 8, 4_000))
      .advanceWatermarkToInfinity();
    const { outputs } = await run(
      stream,
      windowed(beam.fixedWindows(60), { trigger: repeatedly(afterCount(2)), accumulation: "accumulating" }),
    );
    expect(outputs.map((p) => p.total)).to.deep.equal([3, 15]);
  });

  it("afterWatermark with a processing-time early trigger fires nothing early before the delay", async () => {
    const stream = testStream<Sale>()
      .addElements(sale("ana", 1, 1_000))
      .advanceProcessingTime(4_999)
      .advanceWatermarkToInfinity();
    const { outputs } = await run(
      stream,
      windowed(beam.fixedWindows(60), { trigger: afterWatermark({ early: afterProcessingTime(5_000) }) }),
    );
    expect(outputs.map((p) => p.timing)).to.deep.equal(["ON_TIME"]);
  });

  it("a stream that ends without reaching infinity still fires every open window", async () => {
    const stream = testStream<Sale>().addElements(sale("ana", 1, 1_000), sale("bo", 2, 5 * MINUTE)).advanceWatermarkTo(30_000);
    const { outputs } = await run(stream, beam.windowInto(beam.fixedWindows(60)));
    expect(outputs.map((p) => [p.key, p.total, p.timing])).to.have.deep.members([
      ["ana", 1, "ON_TIME"],
      ["bo", 2, "ON_TIME"],
    ]);
  });

  it("draining (a stop condition) stops the source, fires every open window and ends the job cleanly", async () => {
    const stream = testStream<Sale>()
      .addElements(sale("ana", 1, 1_000), sale("bo", 2, 2_000))
      .addElements(sale("ana", 4, 3_000))
      .addElements(sale("cy", 8, 4_000))
      .advanceWatermarkToInfinity();
    const { outputs, result } = await run(stream, beam.windowInto(beam.fixedWindows(60)), { stopAfter: { records: 2 } });
    // The first event (2 records) is read, then the job drains: later events are never played.
    expect(outputs.map((p) => [p.key, p.total])).to.have.deep.members([
      ["ana", 1],
      ["bo", 2],
    ]);
    expect(result.drainReason()).to.match(/read 2 records/);
  });

  it("assignTimestamps on a bounded input gives the same windows as a stream", async () => {
    const totals = await runPipeline((root) =>
      root
        .apply(beam.create([{ user: "ana", amount: 1, at: 1_000 }, { user: "ana", amount: 2, at: 61_000 }]))
        .apply(beam.assignTimestamps((s: { at: number }) => Long.fromNumber(s.at)))
        .apply(beam.windowInto(beam.fixedWindows(60)))
        .apply(beam.groupBy((s: Sale) => s.user).combining((s: Sale) => s.amount, combiners.sum, "total")),
      { runner: directRunner({ workers: testWorkers() }) },
    );
    expect((totals as { total: number }[]).map((t) => t.total).sort()).to.deep.equal([1, 2]);
  });
});
