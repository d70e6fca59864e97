/**
 * The engine alone, with a scripted live source and executors that stand for a stage's steps: reading
 * ahead while bundles run, and writes that land after their bundle — with acknowledgement (the
 * durability watermark) held until they have.
 */
import { expect } from "chai";
import "apache-beam";
import { GlobalWindow, PaneInfo, WindowedValue } from "apache-beam/values";
import { wallClock } from "../../sdk/clock";
import { Engine, type BundleOutcome, type StageSpec } from "../../runners/direct/engine/engine";
import type { StreamSource } from "../../sdk/stream_source";
import { toInstant, type Millis } from "../../sdk/time";

const pane = { timing: 3, index: 0, onTimeIndex: 0, isFirst: true, isLast: true } as unknown as PaneInfo;

/** A controllable promise. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/**
 * A live source reading ahead: each advance emits the next batch of timestamps once `release()` lets
 * it; it acknowledges what the engine says is durable (as the Pub/Sub source does: everything it
 * emitted with an event time before the durability watermark), and records when each advance started.
 */
class ScriptedLiveSource implements StreamSource {
  readonly readsAhead = true;
  readonly acknowledged: number[] = [];
  private readonly unacknowledged = new Set<number>();
  readonly advanceStarts: number[] = [];
  private gate = deferred();
  private stopped = false;
  private next = 0;

  constructor(private readonly batches: number[][]) {}

  get watermark(): Millis {
    return this.next === 0 ? -Infinity : Math.min(...this.batches[this.next - 1]);
  }

  get finished(): boolean {
    return this.stopped || this.next >= this.batches.length;
  }

  /** Lets the pending (or next) advance emit its batch. */
  release(): void {
    this.gate.resolve();
  }

  async advance(emit: (element: WindowedValue<unknown>) => void): Promise<boolean> {
    this.advanceStarts.push(Date.now());
    await this.gate.promise;
    this.gate = deferred();
    if (this.finished) return false;
    for (const t of this.batches[this.next++]) this.unacknowledged.add(t);
    for (const t of this.batches[this.next - 1]) emit({ value: t, windows: [new GlobalWindow()], timestamp: toInstant(t), pane });
    return true;
  }

  stop(): void {
    this.stopped = true;
    this.gate.resolve();
  }

  commit(durableBefore: Millis): void {
    for (const t of [...this.unacknowledged].sort((a, b) => a - b)) {
      if (t >= durableBefore) continue;
      this.unacknowledged.delete(t);
      this.acknowledged.push(t);
    }
  }
}

const sourceStage = (source: StreamSource): StageSpec => ({ id: "read", name: "read", input: { kind: "source", source }, upstream: [], bounded: false, sideInputs: [] });

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("direct runner: engine", () => {
  it("asks a reading-ahead source for more while a bundle runs", async () => {
    const source = new ScriptedLiveSource([[1, 2], [3, 4], [5]]);
    const bundles: number[][] = [];
    const bundleRunning = deferred();
    let finishBundle = deferred();
    const engine = new Engine([sourceStage(source)], { bundleSize: 10, clock: wallClock });
    engine.setExecutor("read", async (elements) => {
      bundles.push(elements.map((e) => e.value as number));
      bundleRunning.resolve();
      await finishBundle.promise;
      return undefined;
    });
    const run = engine.run();
    source.release();
    await bundleRunning.promise;
    // The first bundle is still running: the source has already been asked again, and answers.
    expect(source.advanceStarts).to.have.length(2);
    source.release();
    await tick();
    finishBundle.resolve();
    finishBundle = deferred();
    finishBundle.resolve();
    await tick();
    source.release();
    await tick();
    engine.drain("test over");
    await run;
    expect(bundles.flat()).to.deep.equal([1, 2, 3, 4, 5]);
    // What arrived while the first bundle ran became one bundle, not one per read.
    expect(bundles[1]).to.deep.equal([3, 4]);
  });

  it("holds acknowledgement of a bundle's input until the writes it left behind have landed, while later bundles run", async () => {
    const source = new ScriptedLiveSource([[10], [20], [30]]);
    const writes = [deferred(), deferred(), deferred()];
    let bundle = 0;
    const engine = new Engine([sourceStage(source)], { bundleSize: 1, clock: wallClock });
    engine.setExecutor("read", async (): Promise<BundleOutcome> => ({ written: writes[bundle++].promise }));
    const run = engine.run();
    for (let i = 0; i < 3; i++) {
      source.release();
      await tick();
      await tick();
    }
    // Every bundle ran although none of their writes has landed: nothing may be acknowledged yet.
    expect(bundle).to.equal(3);
    expect(engine.durabilityWatermark()).to.equal(10);
    expect(source.acknowledged).to.deep.equal([]);
    writes[1].resolve();
    await tick();
    // The second landing does not release the first bundle's input.
    expect(engine.durabilityWatermark()).to.equal(10);
    expect(source.acknowledged).to.deep.equal([]);
    writes[0].resolve();
    await tick();
    expect(engine.durabilityWatermark()).to.equal(30);
    expect(source.acknowledged).to.deep.equal([10, 20]);
    engine.drain("test over");
    let ended = false;
    const done = run.then(() => (ended = true));
    await tick();
    // The job cannot end while a write is still on its way.
    expect(ended).to.equal(false);
    expect(source.acknowledged).to.deep.equal([10, 20]);
    writes[2].resolve();
    await done;
    expect(source.acknowledged).to.deep.equal([10, 20, 30]);
  });

  it("fails the job when writes left behind by a bundle fail, with their error", async () => {
    const source = new ScriptedLiveSource([[1], [2]]);
    const write = deferred();
    const engine = new Engine([sourceStage(source)], { bundleSize: 1, clock: wallClock });
    engine.setExecutor("read", async (): Promise<BundleOutcome> => ({ written: write.promise }));
    const run = engine.run();
    source.release();
    await tick();
    write.reject(new Error("step 'sink' failed writing: the table is gone"));
    source.release();
    let error: Error | undefined;
    await run.catch((e: Error) => (error = e));
    expect(error?.message).to.equal("step 'sink' failed writing: the table is gone");
    expect(source.acknowledged).to.deep.equal([]);
  });
});
