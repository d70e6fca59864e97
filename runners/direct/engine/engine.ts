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
 * Groupings fire panes as their triggers say, given the input watermark and the processing-time
 * clock. A stage whose ParDo reads a side input waits until the side input's producer has passed the
 * element's window.
 *
 * Durability: every element carries (in its queue or pane) the event time of the oldest source input
 * it derives from. The minimum of those over the whole job is the durability watermark: source input
 * older than it has been processed by every step and written by every sink, so sources may
 * acknowledge it — never earlier. A sink may finish writing after its bundle has ended (the bundle's
 * outcome says so, see sdk/deferred_writes.ts); that bundle's durability hold stays until the writes
 * land, while the next bundles run. The job ends only once every such write has landed.
 *
 * Quiescence: when no bundle can run and no watermark can move, sources are asked to advance (a
 * TestStream plays its next event; a live source waits for data, bounded by the next processing-time
 * trigger). When every source has finished and every watermark is +Infinity, the job is done; when
 * nothing at all can move, it is reported as stalled — never waited on.
 *
 * Reading ahead: a live source that allows it is also asked to advance before each bundle whenever
 * fewer than {@link READ_AHEAD_BUNDLES} bundles of its input wait, so that its next read is on the
 * wire while the bundle runs and awaits its writes; bundles then grow from the reads that arrived
 * meanwhile. What waits in memory stays bounded by those bundles plus one read. Since there is then
 * always a bundle to run, watermarks and panes are refreshed between bundles every
 * {@link WATERMARK_REFRESH_MS} (under the wall clock; a TestStream's manual clock keeps the
 * quiescence rule alone, so its runs stay deterministic).
 */
import type { Window, WindowedValue } from "apache-beam/values";
import type { Clock } from "./clock";
import { ElementQueue } from "./element_queue";
import { DroppedElements, Grouping, GroupingSpec } from "./grouping";
import type { StreamSource } from "./source";
import type { Millis } from "./time";
import { windowKey, windowMaxTimestamp } from "./windows";

/** Bundles' worth of a reading-ahead source's input that may wait before it is asked for more. */
export const READ_AHEAD_BUNDLES = 2;
/**
 * While bundles keep coming (a source reading ahead always has the next one), watermarks and panes
 * are still brought up to date this often, in wall-clock milliseconds — not only when the engine
 * falls quiescent, which under a steady stream is never. A refresh visits every open pane, so with
 * very many keys it is spaced further — ten times what the last one took — but never more than
 * {@link WATERMARK_REFRESH_MAX_MS} (a refresh that fired many panes took long for good reason).
 */
const WATERMARK_REFRESH_MS = 10;
const WATERMARK_REFRESH_MAX_MS = 100;

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
  /**
   * Side inputs this stage reads: the PCollection, the stage producing it, and whether every main
   * window maps to the side input's global window (then it is ready only once complete).
   */
  sideInputs: { pcollection: string; producer: string; globalWindow: boolean }[];
}

/** Where an emitted element goes. */
export type Destination = { kind: "stage"; stage: string } | { kind: "sideInput"; pcollection: string };

/** What a bundle leaves behind when it ends: writes of its sinks still on their way, if any. */
export interface BundleOutcome {
  /** Resolves once they have all landed; rejects (failing the job) if one failed. */
  written: Promise<void>;
}

/** Runs one bundle of a stage: pushes the elements through its fused steps, awaiting async ones. */
export type BundleExecutor = (elements: WindowedValue<unknown>[]) => Promise<BundleOutcome | undefined>;

/** Engine settings. */
export interface EngineOptions {
  /** Maximum elements per bundle. */
  bundleSize: number;
  /** The processing-time clock (a manual one under TestStream). */
  clock: Clock;
  /** Asked between bundles; when it returns a reason the job drains. */
  shouldDrain?: (progress: EngineProgress) => string | undefined;
}

interface StageState {
  spec: StageSpec;
  pending: ElementQueue;
  grouping?: Grouping;
  impulseDone: boolean;
  execute?: BundleExecutor;
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

/** Progress counters, for logs, progress bars and stop conditions. */
export interface EngineProgress {
  bundles: number;
  elements: number;
  /** Elements read from sources (TestStream, subscriptions). */
  sourceElements: number;
  /** Processing time of the last element read from a source (-Infinity before any). */
  lastSourceElementAt: Millis;
  dropped: DroppedElements;
  /** What each source reports about itself (see StreamSource.report), by stage name. */
  sources: Record<string, Record<string, number>>;
  stages: { id: string; name: string; elements: number; pending: number; inputWatermark: Millis; outputWatermark: Millis; dropped?: DroppedElements }[];
}

export class Engine {
  private readonly stages = new Map<string, StageState>();
  /** Stages in topological order (producers before consumers). */
  private readonly order: StageState[];
  private readonly sideInputs = new Map<string, Map<string, SideInputWindow>>();
  private lastYield = Date.now();
  private sourceElements = 0;
  private lastSourceElementAt = -Infinity;
  private drainReason: string | undefined;
  private cancellation: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly advancing = new Map<StageState, Promise<boolean>>();
  /**
   * The first failure of work nobody awaits (a source read ahead, a sink's deferred writes), ending the
   * job at the next step of the loop.
   */
  private backgroundFailure: unknown = undefined;
  /** Writes bundles left behind, each with the durability hold of its bundle, until they land. */
  private readonly landing = new Map<Promise<void>, Millis>();
  /** The durability hold of the bundle running now (bundles run one at a time). */
  private emittingDurability: Millis = Infinity;
  private lastCommit = 0;
  private lastWatermarkUpdate = 0;
  /** How long the last refresh of watermarks and panes took (ms). */
  private watermarkUpdateCost = 0;
  private rejectCancelled: (error: Error) => void = () => {};
  private readonly cancelled = new Promise<never>((_, reject) => (this.rejectCancelled = reject));

  constructor(
    stageSpecs: StageSpec[],
    private readonly options: EngineOptions,
  ) {
    for (const spec of stageSpecs) {
      this.stages.set(spec.id, {
        spec,
        pending: new ElementQueue(),
        grouping: spec.input.kind === "grouping" ? new Grouping(spec.input.spec) : undefined,
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
      return (element) => grouping.add(element, target.inputWatermark, clock, this.emittingDurability);
    }
    const queue = target.pending;
    return (element) => queue.push(element, this.emittingDurability);
  }

  /** Installs the code that runs a stage's bundles. */
  setExecutor(stageId: string, execute: BundleExecutor): void {
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
    for (const s of this.order) if (s.spec.input.kind === "source") s.spec.input.source.stop();
    this.wake?.();
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
    this.wake?.();
  }

  /** Runs until every source has finished, every watermark is +Infinity and nothing is pending. */
  run(): Promise<void> {
    const loop = this.loop().finally(() => this.closeSources());
    // An abandoned loop ends with the cancellation error once its bundle returns; nobody waits for it.
    loop.catch(() => {});
    return Promise.race([loop, this.cancelled]);
  }

  private async loop(): Promise<void> {
    this.updateWatermarks();
    for (;;) {
      if (this.cancellation !== undefined) throw this.cancellation;
      if (this.drainReason === undefined && this.options.shouldDrain !== undefined) {
        const reason = this.options.shouldDrain(this.progress());
        if (reason !== undefined) this.drain(reason);
      }
      if (this.backgroundFailure !== undefined) throw this.backgroundFailure;
      const next = this.nextBundle();
      if (next !== undefined) {
        this.readAhead();
        await this.runBundle(next.stage, next.elements, next.hold, next.durability);
        if (!this.options.clock.manual && Date.now() - this.lastWatermarkUpdate >= this.watermarkRefreshInterval()) this.updateWatermarks();
        if (Date.now() - this.lastCommit > 100) this.commitSources();
        continue;
      }
      if (this.updateWatermarks()) continue;
      this.commitSources();
      if (this.order.every((s) => s.outputWatermark === Infinity)) return this.awaitLanding();
      if (await this.advanceSources()) continue;
      throw new Error(`pipeline stalled: nothing can run and no watermark can advance\n${this.describe()}`);
    }
  }

  /** Counters of what has run so far. */
  progress(): EngineProgress {
    let bundles = 0;
    let elements = 0;
    const dropped: DroppedElements = { late: 0, closedWindow: 0 };
    for (const s of this.order) {
      bundles += s.bundlesProcessed;
      elements += s.elementsProcessed;
      if (s.grouping !== undefined) {
        dropped.late += s.grouping.dropped.late;
        dropped.closedWindow += s.grouping.dropped.closedWindow;
      }
    }
    return {
      bundles,
      elements,
      sourceElements: this.sourceElements,
      lastSourceElementAt: this.lastSourceElementAt,
      dropped,
      sources: Object.fromEntries(
        this.order.flatMap((s) => (s.spec.input.kind === "source" && s.spec.input.source.report ? [[s.spec.name, s.spec.input.source.report()]] : [])),
      ),
      stages: this.order.map((s) => ({
        id: s.spec.id,
        name: s.spec.name,
        elements: s.elementsProcessed,
        pending: s.pending.size + (s.grouping?.size ?? 0),
        inputWatermark: s.inputWatermark,
        outputWatermark: s.outputWatermark,
        dropped: s.grouping === undefined ? undefined : { ...s.grouping.dropped },
      })),
    };
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

  private async runBundle(stage: StageState, elements: WindowedValue<unknown>[], hold: Millis, durability: Millis): Promise<void> {
    if (stage.execute === undefined) throw new Error(`stage '${stage.spec.name}' has no executor`);
    stage.inFlightHold = hold;
    stage.inFlightDurability = durability;
    this.emittingDurability = durability;
    let outcome: BundleOutcome | undefined;
    try {
      outcome = await stage.execute(elements);
    } finally {
      stage.inFlightHold = Infinity;
      stage.inFlightDurability = Infinity;
      this.emittingDurability = Infinity;
    }
    if (outcome !== undefined) this.holdUntilLanded(outcome.written, durability);
    stage.elementsProcessed += elements.length;
    stage.bundlesProcessed += 1;
    // Long synchronous runs must still let timers, signals and I/O callbacks in.
    if (Date.now() - this.lastYield > 50) {
      await new Promise((resolve) => setImmediate(resolve));
      this.lastYield = Date.now();
    }
  }

  /** Keeps `durability` in the durability watermark until `written` resolves; a rejection fails the job. */
  private holdUntilLanded(written: Promise<void>, durability: Millis): void {
    this.landing.set(written, durability);
    written.then(
      () => {
        this.landing.delete(written);
        // Acknowledge promptly, even while the loop waits for a source.
        this.commitSources();
      },
      (error: unknown) => {
        this.backgroundFailure ??= error;
        this.wake?.();
      },
    );
  }

  /** The end of the job: waits for writes still landing (each bounded by the stage's stall timeout), then acknowledges. */
  private async awaitLanding(): Promise<void> {
    while (this.landing.size > 0) {
      await Promise.race(this.landing.keys()).catch(() => undefined);
      if (this.backgroundFailure !== undefined) throw this.backgroundFailure;
    }
    this.commitSources();
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
      const outputWatermark = Math.min(inputWatermark, s.pending.hold, s.grouping?.hold ?? Infinity, s.inFlightHold);
      if (outputWatermark !== s.outputWatermark || inputWatermark !== s.inputWatermark) changed = true;
      s.inputWatermark = inputWatermark;
      s.outputWatermark = outputWatermark;
    }
    return changed;
  }

  /**
   * Quiescent: lets one source move (a scripted one plays its next event), or waits — for live data,
   * the next processing-time trigger, a drain or a cancel. True if anything may have changed.
   */
  private async advanceSources(): Promise<boolean> {
    const clock = this.options.clock;
    const wakeUp = this.nextWakeUp();
    const sources = this.order.filter((s) => s.spec.input.kind === "source" && !s.spec.input.source.finished);
    if (sources.length === 0) {
      if (wakeUp === Infinity || clock.manual) return false;
      await this.sleepUntil(wakeUp);
      return true;
    }
    // A live source may still be waiting from an earlier call (or reading ahead): wait on that, never
    // ask twice — but no later than the next processing-time trigger, which that call may not know of.
    const advances: Promise<boolean>[] = sources.map((s) => this.advancing.get(s) ?? this.startAdvance(s, wakeUp));
    let timer: NodeJS.Timeout | undefined;
    const interrupted = new Promise<boolean>((resolve) => {
      this.wake = () => resolve(true);
      if (wakeUp !== Infinity && !clock.manual) timer = setTimeout(() => resolve(true), Math.max(0, wakeUp - clock.now()));
    });
    try {
      const moved = await Promise.race([...advances, interrupted]);
      // Under the wall clock a live source that returned is always worth another look; under a
      // manual clock only a scripted step or an expired timer moves anything.
      return moved || clock.now() >= wakeUp || !clock.manual;
    } finally {
      clearTimeout(timer);
      this.wake = undefined;
    }
  }

  /** Asks each reading-ahead source for more while a bundle is about to run, if little of its input waits. */
  private readAhead(): void {
    let wakeUp: Millis | undefined;
    for (const s of this.order) {
      const input = s.spec.input;
      if (input.kind !== "source" || !input.source.readsAhead || input.source.finished || this.advancing.has(s)) continue;
      if (s.pending.size >= READ_AHEAD_BUNDLES * this.options.bundleSize) continue;
      wakeUp ??= this.nextWakeUp();
      // Nobody awaits this one unless the engine falls quiescent: a failure is kept for the loop.
      this.startAdvance(s, wakeUp).catch((error: unknown) => {
        this.backgroundFailure ??= error;
        this.wake?.();
      });
    }
  }

  /** Starts an advance of source stage `s`, whose elements go to its queue; one at a time per source. */
  private startAdvance(s: StageState, deadline: Millis): Promise<boolean> {
    const clock = this.options.clock;
    const queue = s.pending;
    const emit = (element: WindowedValue<unknown>) => {
      this.sourceElements++;
      this.lastSourceElementAt = clock.now();
      // Source input is its own durability hold: its event time.
      queue.push(element);
    };
    const advance = (s.spec.input as { source: StreamSource }).source.advance(emit, deadline).finally(() => this.advancing.delete(s));
    this.advancing.set(s, advance);
    return advance;
  }

  /** The processing time of the earliest timer any grouping waits for (+Infinity when none). */
  private nextWakeUp(): Millis {
    let wakeUp = Infinity;
    for (const s of this.order) if (s.grouping !== undefined) wakeUp = Math.min(wakeUp, s.grouping.nextWakeUp());
    return wakeUp;
  }

  private async sleepUntil(deadline: Millis): Promise<void> {
    const ms = Math.max(0, deadline - this.options.clock.now());
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      this.wake = resolve;
    });
    clearTimeout(timer);
    this.wake = undefined;
  }

  /** The oldest source input not yet durably processed (see the module doc); +Infinity when none. */
  durabilityWatermark(): Millis {
    let min = Infinity;
    for (const s of this.order) {
      min = Math.min(min, s.pending.durabilityHold, s.inFlightDurability, s.grouping?.durabilityHold ?? Infinity);
    }
    for (const hold of this.landing.values()) if (hold < min) min = hold;
    return min;
  }

  /** Tells sources what they may acknowledge. */
  private commitSources(): void {
    this.lastCommit = Date.now();
    const sources = this.order.filter((s) => s.spec.input.kind === "source");
    if (sources.length === 0) return;
    const durable = this.durabilityWatermark();
    for (const s of sources) (s.spec.input as { source: StreamSource }).source.commit?.(durable);
  }

  private async closeSources(): Promise<void> {
    await Promise.all(
      this.order.map((s) => (s.spec.input.kind === "source" ? s.spec.input.source.close?.() : undefined)),
    );
  }

  private describe(): string {
    return this.order
      .map((s) => `  ${s.spec.name}: input wm ${s.inputWatermark}, output wm ${s.outputWatermark}, pending ${s.pending.size}, grouped ${s.grouping?.size ?? 0}`)
      .join("\n");
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
