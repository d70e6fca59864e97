/**
 * The engine: what is pending where, how far event time has progressed, and which bundle runs next.
 * It knows stages only by id and by how their input arrives; it never sees a proto or a DoFn.
 *
 *   impulse / source ─▶ [stage] ─emit─▶ queue ─▶ [stage] ─emit─▶ grouping ─(trigger)─▶ [stage] ─▶ …
 *                                                                 side input store ─┘ (blocks)
 *
 * Watermarks: a stage's input watermark is the minimum of the output watermarks of the stages that
 * feed it (a source stage's is its source's); its output watermark is its input watermark held back
 * by anything it still holds (queued elements, windows not yet fired on time, the bundle in flight).
 * A bounded stage's is a batch watermark: -Infinity while anything is still upstream of its outputs,
 * +Infinity once all is done — there, timestamps bound nothing that is to come (`create` stamps its
 * elements at the end of the global window, and an `assignTimestamps` after it moves them back).
 * Groupings fire panes as their triggers say, given the input watermark and the processing-time
 * clock. A stage whose ParDo reads a side input waits until the side input's producer has passed the
 * element's window.
 *
 * Durability (durability.ts, which walks the whole chain): every element carries the event time of
 * the oldest source input it derives from; the minimum over the job is the durability watermark, and
 * sources may acknowledge only input older than it. Sources are driven by source_driver.ts (quiescent
 * advances, reading ahead); progress counters are progress.ts'.
 *
 * Quiescence: when no bundle can run and no watermark can move, sources are asked to advance (a
 * TestStream plays its next event; a live source waits for data, bounded by the next processing-time
 * trigger). When every source has finished and every watermark is +Infinity, the job is done; when
 * nothing at all can move, it is reported as stalled — never waited on.
 *
 * Reading ahead (source_driver.ts): a live source is also asked for more while bundles run. Since
 * there is then always a bundle to run, watermarks and panes are refreshed between bundles every
 * {@link WATERMARK_REFRESH_MS} (under the wall clock; a TestStream's manual clock keeps the
 * quiescence rule alone, so its runs stay deterministic).
 */
import type { Window, WindowedValue } from "apache-beam/values";
import type { Clock } from "../../../sdk/clock";
import type { StreamSource } from "../../../sdk/stream_source";
import { type Millis, toMillis } from "../../../sdk/time";
import type { CheckpointStore } from "./checkpoint_store";
import { type BundleOutcome, Durability } from "./durability";
import { ElementQueue } from "./element_queue";
import { Grouping, GroupingSpec } from "./grouping";
import { describeStages, type EngineProgress, progressOf, type StopProgress } from "./progress";
import { SourceDriver } from "./source_driver";
import { windowKey, windowMaxTimestamp } from "./windows";

export type { BundleOutcome } from "./durability";
export type { EngineProgress } from "./progress";
/**
 * While bundles keep coming (a source reading ahead always has the next one), watermarks and panes
 * are still brought up to date this often, in wall-clock milliseconds — not only when the engine
 * falls quiescent, which under a steady stream is never. A refresh visits every open pane, so with
 * very many keys it is spaced further — ten times what the last one took — but never more than
 * {@link WATERMARK_REFRESH_MAX_MS} (a refresh that fired many panes took long for good reason).
 */
const WATERMARK_REFRESH_MS = 10;
const WATERMARK_REFRESH_MAX_MS = 100;
/** How often the stop condition is checked while the loop waits (ms). */
const STOP_CHECK_MS = 100;

/** How elements reach a stage. */
export type StageInput =
  | { kind: "impulse"; element: WindowedValue<unknown> }
  | { kind: "source"; source: StreamSource }
  | { kind: "queue" }
  | { kind: "grouping"; spec: GroupingSpec };

/** The engine's view of a stage. */
export interface StageSpec {
  id: string;
  /** A readable name for messages (the first step's name). */
  name: string;
  input: StageInput;
  /** Stages whose outputs feed this stage's input (queue or grouping). */
  upstream: string[];
  /** Its input is bounded: its output watermark is a batch one (see the module doc). */
  bounded: boolean;
  /** Side inputs this stage reads. */
  sideInputs: SideInputSpec[];
}

/**
 * A side input of a stage: the PCollection, the stage producing it, and whether every main window
 * maps to the side input's global window (then it is ready only once complete).
 */
export interface SideInputSpec {
  pcollection: string;
  producer: string;
  globalWindow: boolean;
}

/** Where an emitted element goes. */
export type Destination = { kind: "stage"; stage: string } | { kind: "sideInput"; pcollection: string };

/**
 * Runs one bundle of a stage: pushes the elements through its fused steps, awaiting async ones. Every
 * output is delivered (through the stage's emitters) before the promise resolves. The runner adapts
 * a BundleExecutor (execution/) to this.
 */
export type RunBundle = (elements: WindowedValue<unknown>[]) => Promise<BundleOutcome | undefined>;

/** Engine settings. */
export interface EngineOptions {
  /** Maximum elements per bundle. */
  bundleSize: number;
  /** The processing-time clock (a manual one under TestStream). */
  clock: Clock;
  /** Asked between bundles; when it returns a reason the job drains. */
  shouldDrain?: (progress: StopProgress) => string | undefined;
  /** Where accumulating panes are checkpointed, so that their input is acknowledged before they expire (checkpoints.ts). */
  checkpoints?: CheckpointStore;
  /**
   * Whether the stages feeding checkpointed panes can run through an executor that reports each
   * element's lineage ({@link Engine.lineage}; the in-process one can, SDK worker processes cannot).
   * Without it no pane is checkpointed: its input stays held until it is written.
   */
  lineage?: boolean;
}

interface StageState {
  spec: StageSpec;
  pending: ElementQueue;
  grouping?: Grouping;
  impulseDone: boolean;
  execute?: RunBundle;
  inputWatermark: Millis;
  outputWatermark: Millis;
  /** Lowest timestamp of the bundle in flight, held back from the output watermark. */
  inFlightHold: Millis;
  /** Durability hold of the bundle in flight. */
  inFlightDurability: Millis;
  elementsProcessed: number;
  bundlesProcessed: number;
}

/** A window of side-input data: the window and the elements in it. */
export interface SideInputWindow {
  window: Window;
  elements: unknown[];
}

export class Engine {
  private readonly stages = new Map<string, StageState>();
  /** Stages in topological order (producers before consumers). */
  private readonly order: StageState[];
  private readonly sideInputs = new Map<string, Map<string, SideInputWindow>>();
  private readonly sources: SourceDriver;
  private readonly durability: Durability;
  private lastYield = Date.now();
  private drainReason: string | undefined;
  private cancellation: Error | undefined;
  /**
   * The first failure of work nobody awaits (a source read ahead, a sink's deferred writes), ending the
   * job at the next step of the loop.
   */
  private backgroundFailure: unknown = undefined;
  private lastWatermarkUpdate = 0;
  /** How long the last refresh of watermarks and panes took (ms). */
  private watermarkUpdateCost = 0;
  private rejectCancelled: (error: Error) => void = () => {};
  /** Stages feeding checkpointed panes: their bundles report each element's lineage (see {@link lineage}). */
  private readonly lineageFed: ReadonlySet<string>;
  /** The durability hold of the bundle in flight when its stage is one of {@link lineageFed}. */
  private lineageBundleDurability: Millis | undefined;
  private readonly cancelled = new Promise<never>((_, reject) => (this.rejectCancelled = reject));

  constructor(
    stageSpecs: StageSpec[],
    private readonly options: EngineOptions,
  ) {
    const specs = new Map(stageSpecs.map((spec) => [spec.id, spec]));
    for (const spec of stageSpecs) {
      this.stages.set(spec.id, {
        spec,
        pending: new ElementQueue(),
        grouping: spec.input.kind === "grouping" ? new Grouping(spec.input.spec, options.checkpoints !== undefined && checkpointable(spec, specs, options)) : undefined,
        impulseDone: false,
        inputWatermark: -Infinity,
        outputWatermark: -Infinity,
        inFlightHold: Infinity,
        inFlightDurability: Infinity,
        elementsProcessed: 0,
        bundlesProcessed: 0,
      });
    }
    this.order = topologicalOrder([...this.stages.values()], (s) =>
      s.spec.upstream.concat(s.spec.sideInputs.map((i) => i.producer)).map((id) => this.stage(id)),
    );
    this.lineageFed = new Set(this.order.flatMap((s) => (s.grouping?.checkpointed ? s.spec.upstream : [])));
    const fail = (error: unknown) => {
      this.backgroundFailure ??= error;
      this.sources.interrupt();
    };
    this.sources = new SourceDriver(
      this.order.flatMap((s) => (s.spec.input.kind === "source" ? [{ name: s.spec.name, source: s.spec.input.source, queue: s.pending }] : [])),
      options.clock,
      options.bundleSize,
      fail,
    );
    const store = options.checkpoints;
    const checkpointing = store && {
      store,
      parts: {
        groupings: this.order.flatMap((s) => (s.grouping?.checkpointed ? [{ id: s.spec.id, grouping: s.grouping }] : [])),
        sources: this.order.flatMap((s) => (s.spec.input.kind === "source" ? [{ name: s.spec.name, source: s.spec.input.source }] : [])),
      },
    };
    this.durability = new Durability(() => this.sources.sources, (exceptCheckpointed) => this.heldByStages(exceptCheckpointed), fail, checkpointing);
  }

  /** A function that delivers elements to `destination`; stage executors emit through these. */
  emitter(destination: Destination): (element: WindowedValue<unknown>) => void {
    if (destination.kind === "sideInput") {
      const store = this.sideInputStore(destination.pcollection);
      return (element) => {
        for (const window of element.windows) {
          const key = windowKey(window);
          const entry = store.get(key) ?? store.set(key, { window, elements: [] }).get(key)!;
          entry.elements.push(element.value);
        }
      };
    }
    const target = this.stage(destination.stage);
    // Elements emitted during a bundle derive from that bundle's input: they carry its durability hold.
    if (target.grouping !== undefined) {
      const grouping = target.grouping;
      const clock = this.options.clock;
      const durability = this.durability;
      return (element) => grouping.add(element, target, clock, durability);
    }
    const queue = target.pending;
    return (element) => queue.push(element, this.durability.emitting);
  }

  /** Installs the code that runs a stage's bundles. */
  setExecutor(stageId: string, execute: RunBundle): void {
    this.stage(stageId).execute = execute;
  }

  /** The materialized windows of a side-input PCollection (complete once its producer's watermark passed them). */
  sideInputStore(pcollection: string): Map<string, SideInputWindow> {
    let store = this.sideInputs.get(pcollection);
    if (store === undefined) {
      store = new Map();
      this.sideInputs.set(pcollection, store);
    }
    return store;
  }

  /**
   * Stops reading: every source finishes, the watermarks go to +Infinity, every window fires and
   * everything in flight is processed; then run() resolves.
   */
  drain(reason: string): void {
    if (this.drainReason !== undefined) return;
    this.drainReason = reason;
    this.sources.stopAll();
    this.sources.interrupt();
  }

  /** Why the job is draining, if it is. */
  get draining(): string | undefined {
    return this.drainReason;
  }

  /**
   * Stops at once: run() rejects with `error` now; the bundle in flight (if any) is abandoned and no
   * other starts.
   */
  cancel(error: Error): void {
    if (this.cancellation !== undefined) return;
    this.cancellation = error;
    this.rejectCancelled(error);
    this.sources.interrupt();
  }

  /** Runs until every source has finished, every watermark is +Infinity and nothing is pending. */
  run(): Promise<void> {
    // The stop condition is also checked while the loop waits (for a source, a trigger, a write).
    const stopCheck = this.options.shouldDrain === undefined ? undefined : setInterval(() => this.checkStop(), STOP_CHECK_MS);
    const loop = this.loop().finally(() => {
      clearInterval(stopCheck);
      return this.sources.closeAll();
    });
    // An abandoned loop ends with the cancellation error once its bundle returns; nobody waits for it.
    loop.catch(() => {});
    return Promise.race([loop, this.cancelled]);
  }

  private async loop(): Promise<void> {
    this.durability.restore(this.options.clock);
    this.updateWatermarks();
    for (;;) {
      if (this.cancellation !== undefined) throw this.cancellation;
      this.checkStop();
      if (this.backgroundFailure !== undefined) throw this.backgroundFailure;
      const next = this.nextBundle();
      if (next !== undefined) {
        this.sources.readAhead(() => this.nextWakeUp());
        await this.runBundle(next.stage, next.elements, next.hold, next.durability);
        if (!this.options.clock.manual && Date.now() - this.lastWatermarkUpdate >= this.watermarkRefreshInterval()) this.updateWatermarks();
        this.durability.commitIfDue();
        continue;
      }
      if (this.updateWatermarks()) continue;
      this.durability.commitIfDue();
      this.durability.commit();
      if (this.order.every((s) => s.outputWatermark === Infinity)) return this.durability.landAll(() => this.backgroundFailure);
      if (await this.sources.advance(this.nextWakeUp())) continue;
      throw new Error(`pipeline stalled: nothing can run and no watermark can advance\n${describeStages(this.order)}`);
    }
  }

  /** The one stop check: drains once the stop condition (EngineOptions.shouldDrain) gives a reason. */
  private checkStop(): void {
    if (this.drainReason !== undefined || this.options.shouldDrain === undefined) return;
    // Not the whole progress(): asked once per bundle, it had every source build its report (the
    // Pub/Sub one sorts its latency buckets), 2.5% of the streaming pipeline's busy time.
    const reason = this.options.shouldDrain({ sourceElements: this.sources.elementsRead, inputIdleSince: this.sources.idleSince() });
    if (reason !== undefined) this.drain(reason);
  }

  /** Counters of what has run so far. */
  progress(): EngineProgress {
    return progressOf(this.order, this.sources);
  }

  private stage(id: string): StageState {
    const s = this.stages.get(id);
    if (s === undefined) throw new Error(`unknown stage '${id}'`);
    return s;
  }

  /** The most downstream stage with runnable input, and its bundle: draining downstream first keeps queues short. */
  private nextBundle(): { stage: StageState; elements: WindowedValue<unknown>[]; hold: Millis; durability: Millis } | undefined {
    for (let i = this.order.length - 1; i >= 0; i--) {
      const s = this.order[i];
      if (s.spec.input.kind === "impulse") {
        if (!s.impulseDone) {
          s.impulseDone = true;
          return { stage: s, elements: [s.spec.input.element], hold: -Infinity, durability: -Infinity };
        }
        continue;
      }
      if (s.pending.size === 0) continue;
      const ready = s.spec.sideInputs.length === 0 ? undefined : (e: WindowedValue<unknown>) => this.sideInputsReady(s, e);
      // The queue's hold before the take bounds every element taken: no need to scan them.
      const hold = s.pending.hold;
      const durability = s.pending.durabilityHold;
      const elements = s.pending.take(this.options.bundleSize, ready);
      if (elements.length > 0) return { stage: s, elements, hold, durability };
    }
    return undefined;
  }

  private sideInputsReady(stage: StageState, element: WindowedValue<unknown>): boolean {
    for (const { producer, globalWindow } of stage.spec.sideInputs) {
      const wm = this.stage(producer).outputWatermark;
      if (globalWindow) {
        if (wm !== Infinity) return false;
      } else {
        for (const w of element.windows) if (!(windowMaxTimestamp(w) < wm)) return false;
      }
    }
    return true;
  }

  /**
   * Stages whose bundles must report each element's lineage ({@link lineage}): they feed checkpointed
   * panes.
   */
  lineageStages(): ReadonlySet<string> {
    return this.lineageFed;
  }

  /**
   * An executor is about to push `element` of the bundle in flight through its stage (undefined: all
   * are in). In a stage reading a source, what it emits meanwhile then carries that element's own
   * durability hold, its event time, rather than the bundle's lowest: a checkpoint commits a pane's
   * contributions exactly when the source makes their messages durable (both below the same
   * frontier), so that a restarted job neither reads again what a checkpoint holds nor loses what
   * it acknowledged.
   */
  lineage(element: WindowedValue<unknown> | undefined): void {
    if (this.lineageBundleDurability === undefined) return;
    this.durability.emitting = element === undefined ? this.lineageBundleDurability : toMillis(element.timestamp);
  }

  private async runBundle(stage: StageState, elements: WindowedValue<unknown>[], hold: Millis, durability: Millis): Promise<void> {
    if (stage.execute === undefined) throw new Error(`stage '${stage.spec.name}' has no executor`);
    stage.inFlightHold = hold;
    stage.inFlightDurability = durability;
    this.durability.emitting = durability;
    this.lineageBundleDurability = this.lineageFed.has(stage.spec.id) ? durability : undefined;
    let outcome: BundleOutcome | undefined;
    try {
      outcome = await stage.execute(elements);
    } finally {
      stage.inFlightHold = Infinity;
      stage.inFlightDurability = Infinity;
      this.durability.emitting = Infinity;
      this.lineageBundleDurability = undefined;
    }
    if (outcome !== undefined) this.durability.holdUntilLanded(outcome.written, durability);
    stage.elementsProcessed += elements.length;
    stage.bundlesProcessed += 1;
    // Long synchronous runs must still let timers, signals and I/O callbacks in.
    if (Date.now() - this.lastYield > 50) {
      await new Promise((resolve) => setImmediate(resolve));
      this.lastYield = Date.now();
    }
  }

  /** How long to run bundles before refreshing watermarks and panes again (see WATERMARK_REFRESH_MS). */
  private watermarkRefreshInterval(): number {
    return Math.min(WATERMARK_REFRESH_MAX_MS, Math.max(WATERMARK_REFRESH_MS, this.watermarkUpdateCost * 10));
  }

  /** Recomputes every watermark in topological order and fires due panes. True if anything moved. */
  private updateWatermarks(): boolean {
    const started = performance.now();
    try {
      return this.refreshWatermarks();
    } finally {
      this.lastWatermarkUpdate = Date.now();
      this.watermarkUpdateCost = performance.now() - started;
    }
  }

  private refreshWatermarks(): boolean {
    let changed = false;
    const now = this.options.clock.now();
    for (const s of this.order) {
      const input = s.spec.input;
      let inputWatermark: Millis;
      if (input.kind === "impulse") inputWatermark = s.impulseDone ? Infinity : -Infinity;
      else if (input.kind === "source") inputWatermark = input.source.finished ? Infinity : input.source.watermark;
      else inputWatermark = Math.min(...s.spec.upstream.map((id) => this.stage(id).outputWatermark));
      if (s.grouping !== undefined) {
        const pending = s.pending;
        if (s.grouping.fire(inputWatermark, now, (pane, durability) => pending.push(pane, durability)) > 0) changed = true;
      }
      const held = Math.min(inputWatermark, s.pending.hold, s.grouping?.hold ?? Infinity, s.inFlightHold);
      const outputWatermark = s.spec.bounded && held !== Infinity ? -Infinity : held;
      if (outputWatermark !== s.outputWatermark || inputWatermark !== s.inputWatermark) changed = true;
      s.inputWatermark = inputWatermark;
      s.outputWatermark = outputWatermark;
    }
    return changed;
  }

  /** The processing time of the earliest timer any grouping waits for (+Infinity when none). */
  private nextWakeUp(): Millis {
    let wakeUp = Infinity;
    for (const s of this.order) if (s.grouping !== undefined) wakeUp = Math.min(wakeUp, s.grouping.nextWakeUp());
    return wakeUp;
  }

  /** The oldest source input not yet durably processed (see durability.ts); +Infinity when none. */
  durabilityWatermark(): Millis {
    return this.durability.watermark();
  }

  /**
   * The lowest durability hold of what the stages hold: queues, open panes, the bundle in flight
   * (with `exceptCheckpointed`, leaving out the panes of checkpointed groupings).
   */
  private heldByStages(exceptCheckpointed: boolean): Millis {
    let min = Infinity;
    for (const s of this.order) {
      const panes = s.grouping === undefined || (exceptCheckpointed && s.grouping.checkpointed) ? Infinity : s.grouping.durabilityHold;
      min = Math.min(min, s.pending.durabilityHold, s.inFlightDurability, panes);
    }
    return min;
  }
}

function topologicalOrder<T>(nodes: T[], dependencies: (node: T) => T[]): T[] {
  const order: T[] = [];
  const state = new Map<T, "visiting" | "done">();
  const visit = (node: T) => {
    const s = state.get(node);
    if (s === "done") return;
    if (s === "visiting") throw new Error("cycle between stages");
    state.set(node, "visiting");
    for (const d of dependencies(node)) visit(d);
    state.set(node, "done");
    order.push(node);
  };
  for (const n of nodes) visit(n);
  return order;
}

/**
 * Whether a grouping stage's panes may be checkpointed: every stage feeding it reads a source, and
 * runs where each element's lineage is reported — then what each message added to a pane is known
 * (see {@link Engine.lineage}). Input through another stage's queue keeps only the lowest hold of a
 * bundle, which would commit contributions of messages the source does not yet make durable.
 */
function checkpointable(spec: StageSpec, specs: ReadonlyMap<string, StageSpec>, options: EngineOptions): boolean {
  return options.lineage !== false && spec.upstream.length > 0 && spec.upstream.every((id) => specs.get(id)?.input.kind === "source");
}
