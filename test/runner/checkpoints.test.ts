/**
 * Checkpoints of accumulating panes (runners/direct/engine/checkpoints.ts), on the engine alone: a
 * scripted live source feeds one accumulating grouping (a minute window with ten minutes of allowed
 * lateness). Without a checkpoint store its input stays unacknowledged while the window is open;
 * with one it is acknowledged once a checkpoint holds what it added, and an engine started again on
 * the same directory after a cancel (the crash) carries on from the checkpointed total.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "apache-beam";
import { GlobalWindow, IntervalWindow, KV, PaneInfo, WindowedValue } from "apache-beam/values";
import { wallClock } from "../../sdk/clock";
import { Engine, type StageSpec } from "../../runners/direct/engine/engine";
import type { BundleOutcome } from "../../runners/direct/engine/durability";
import { CheckpointStore } from "../../runners/direct/engine/checkpoint_store";
import { CONTRIBUTION_SLOT_MS, type GroupingSpec, type PaneCodec } from "../../runners/direct/engine/grouping";
import type { StreamSource } from "../../sdk/stream_source";
import { toInstant, type Millis } from "../../sdk/time";

const noFiring = { timing: 3, index: 0, onTimeIndex: 0, isFirst: true, isLast: true } as unknown as PaneInfo;
const MINUTE = new IntervalWindow(toInstant(0), toInstant(60_000));

/** A live source that emits its batches one per advance, acknowledges below the durability watermark, and keeps what checkpoints give it. */
class BatchSource implements StreamSource {
  readonly readsAhead = true;
  readonly acknowledged: number[] = [];
  readonly unacknowledged = new Set<number>();
  readonly checkpointed: Millis[] = [];
  restored: unknown;
  private next = 0;
  private stopped = false;

  constructor(private readonly batches: number[][]) {}

  get watermark(): Millis {
    // The minute stays open: its end is never passed while the job runs.
    return 0;
  }

  get finished(): boolean {
    return this.stopped;
  }

  async advance(emit: (element: WindowedValue<unknown>) => void): Promise<boolean> {
    if (this.next >= this.batches.length) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return false;
    }
    for (const t of this.batches[this.next++]) {
      this.unacknowledged.add(t);
      emit({ value: t, windows: [new GlobalWindow()], timestamp: toInstant(t), pane: noFiring });
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
  }

  commit(durableBefore: Millis): void {
    for (const t of [...this.unacknowledged].sort((a, b) => a - b)) {
      if (t >= durableBefore) continue;
      this.unacknowledged.delete(t);
      this.acknowledged.push(t);
    }
  }

  checkpoint(durableBefore: Millis): unknown {
    this.checkpointed.push(durableBefore);
    return { taken: this.checkpointed.length };
  }

  restore(state: unknown): void {
    this.restored = state;
  }
}

const json: <T>() => { encode: (v: T) => Uint8Array; decode: (b: Uint8Array) => T } = () => ({
  encode: (v) => new Uint8Array(Buffer.from(JSON.stringify(v))),
  decode: (b) => JSON.parse(Buffer.from(b).toString()),
});
const codec: PaneCodec = {
  encodeKey: json().encode,
  decodeKey: json().decode,
  encodeWindow: (w) => json<number[]>().encode([(w as IntervalWindow).start.toNumber(), (w as IntervalWindow).end.toNumber()]),
  decodeWindow: (b) => {
    const [start, end] = json<number[]>().decode(b);
    return new IntervalWindow(toInstant(start), toInstant(end));
  },
  encodeAccumulator: json().encode,
  decodeAccumulator: json().decode,
};

/** Sum per key, accumulating, an early pane on every element, ten minutes of allowed lateness. */
const sumSpec: GroupingSpec = {
  keyIdentity: (key) => String(key),
  aggregator: { create: () => 0, add: (sum, value) => (sum as number) + (value as number), merge: (sums) => sums.reduce((a: number, b) => a + (b as number), 0), output: (sum) => sum },
  mergesWindows: false,
  windowing: {
    trigger: { kind: "afterWatermark", early: { kind: "always" } },
    allowedLatenessMs: 600_000,
    accumulating: true,
    onTimeFireAlways: false,
    closingFireAlways: false,
    outputTime: "endOfWindow",
  },
  codec,
};

/**
 * The job: read → (each value into the minute, key "k") → sum → the panes seen. Its read stage runs
 * as the in-process executor does: each element announced to the engine before it is pushed through.
 */
function job(source: BatchSource, checkpointDir: string | undefined, bundleSize = 10, afterBundle?: (bundle: number) => Promise<BundleOutcome | undefined>) {
  const stages: StageSpec[] = [
    { id: "read", name: "read", input: { kind: "source", source }, upstream: [], bounded: false, sideInputs: [] },
    { id: "sum", name: "sum", input: { kind: "grouping", spec: sumSpec }, upstream: ["read"], bounded: false, sideInputs: [] },
  ];
  const engine = new Engine(stages, { bundleSize, clock: wallClock, checkpoints: checkpointDir === undefined ? undefined : new CheckpointStore(checkpointDir) });
  const panes: number[] = [];
  const toSum = engine.emitter({ kind: "stage", stage: "sum" });
  let bundles = 0;
  engine.setExecutor("read", async (elements) => {
    for (const e of elements) {
      engine.lineage(e);
      toSum({ value: { key: "k", value: e.value }, windows: [MINUTE], timestamp: e.timestamp, pane: noFiring });
    }
    engine.lineage(undefined);
    return afterBundle?.(++bundles);
  });
  engine.setExecutor("sum", async (elements) => {
    for (const e of elements) panes.push((e.value as KV<string, number>).value);
    return undefined;
  });
  return { engine, panes, run: engine.run() };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("direct runner: checkpoints of accumulating panes", function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "checkpoints-test-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("without a checkpoint store, holds an open accumulating window's input unacknowledged", async () => {
    const source = new BatchSource([[1_000, 2_000]]);
    const { engine, panes, run } = job(source, undefined);
    await wait(800);
    expect(panes.at(-1)).to.equal(3_000);
    expect(source.acknowledged).to.deep.equal([]);
    engine.drain("test over");
    await run;
    expect(source.acknowledged).to.deep.equal([1_000, 2_000]);
  });

  it("acknowledges once a checkpoint holds what the input added, and a restart carries on from it", async () => {
    const first = new BatchSource([[1_000, 2_000]]);
    const one = job(first, dir);
    await wait(800);
    // The minute is still open (the watermark is 0), yet its input is acknowledged.
    expect(one.panes.at(-1)).to.equal(3_000);
    expect(first.acknowledged).to.deep.equal([1_000, 2_000]);
    expect(first.checkpointed.length).to.be.greaterThan(0);
    const saved = new CheckpointStore(dir).load()!;
    expect(saved.groupings.sum).to.have.length(1);
    expect(saved.sources.read).to.deep.equal({ taken: first.checkpointed.length });
    // The crash: nothing more is written, nothing more acknowledged.
    one.engine.cancel(new Error("killed"));
    await one.run.catch(() => undefined);

    const second = new BatchSource([[4_000]]);
    const two = job(second, dir);
    await wait(300);
    expect(second.restored).to.deep.equal(saved.sources.read);
    // The restored total, then with the new input: nothing counted twice, nothing lost.
    expect(two.panes.at(-1)).to.equal(7_000);
    two.engine.drain("test over");
    await two.run;
    expect(second.acknowledged).to.deep.equal([4_000]);
    // The last checkpoint, taken once every pane expired at the drain, holds none.
    expect(new CheckpointStore(dir).load()!.groupings.sum).to.deep.equal([]);
  });

  /**
   * Bundles of two of `holds`: the first's writes land at 550 ms (a checkpoint is due then) while
   * the second is in flight until 1 s, so that checkpoint's frontier is the third hold; killed at
   * 800 ms. The source, and the total the checkpoint on disk committed.
   */
  async function killedWithFrontierInFirstBundle(holds: number[]): Promise<{ source: BatchSource; committed: number }> {
    const source = new BatchSource([holds]);
    const { engine, run } = job(source, dir, 2, async (bundle) => {
      if (bundle === 1) return { written: wait(550).then(() => undefined) };
      if (bundle === 2) await wait(1_000);
      return undefined;
    });
    await wait(800);
    engine.cancel(new Error("killed"));
    await run.catch(() => undefined);
    const [pane] = new CheckpointStore(dir).load()!.groupings.sum;
    return { source, committed: pane.accumulator === undefined ? 0 : (JSON.parse(Buffer.from(pane.accumulator, "base64").toString()) as number) };
  }

  it("commits into a pane exactly what the source is told is durable, even when that frontier cuts through a bundle", async () => {
    // Bundles of two: [1000, 5000], whose writes land at 550 ms (a checkpoint is due then), while
    // [3000] is in flight until 1 s — so that checkpoint's frontier (3000) falls between the two
    // messages of the first bundle. Committing that bundle by its lowest hold would put 5000 in the
    // checkpoint while the source, not told 5000 is durable, would have it read again after the
    // crash at 800 ms: counted twice.
    const { source, committed } = await killedWithFrontierInFirstBundle([1_000, 5_000, 3_000]);
    const frontier = source.checkpointed.at(-1)!;
    expect(source.checkpointed[0], "the first checkpoint's frontier cuts the first bundle").to.equal(3_000);
    expect(committed).to.equal([1_000, 5_000, 3_000].filter((t) => t < frontier).reduce((a, b) => a + b, 0));
  });

  it("commits whole slots of contributions: a frontier inside a slot is cut down to its start, for the pane and the source alike", async () => {
    // As above, with holds 1000 and 1060 in the first bundle and 1080 in flight: the frontier (1080)
    // falls inside the slot [1050, 1100), so the checkpoint commits below 1050 — 1000 only — and 1060,
    // not committed, stays unacknowledged.
    const { source, committed } = await killedWithFrontierInFirstBundle([1_000, 1_060, 1_080]);
    expect(source.checkpointed[0]).to.equal(1_080 - (1_080 % CONTRIBUTION_SLOT_MS));
    expect(committed).to.equal(1_000);
    expect(source.acknowledged).to.deep.equal([1_000]);
  });
});
