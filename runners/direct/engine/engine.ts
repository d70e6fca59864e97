/**
 * The engine: what is pending where, how far event time has progressed, and which bundle runs next.
 * It knows stages only by id and by how their input arrives; it never sees a proto or a DoFn.
 *
 *   impulse ─▶ [stage] ─emit─▶ queue ─▶ [stage] ─emit─▶ grouping ─(watermark)─▶ [stage] ─▶ ...
 *                                 ▲                                   side input store ─┘ (blocks)
 *
 * Watermarks: a stage's input watermark is the minimum of the output watermarks of the stages that
 * feed it; its output watermark is its input watermark held back by anything it still holds (queued
 * elements, unfired windows, the bundle in flight). Groupings fire a window once their stage's input
 * watermark passes the window's end. A stage whose ParDo reads a side input waits until the side
 * input's producer has passed the element's window. When nothing can run and no watermark can move,
 * the job is either done (every watermark at +Infinity) or stalled, which is reported, never waited on.
 */
import type { Window, WindowedValue } from "apache-beam/values";
import { ElementQueue } from "./element_queue";
import { Grouping, GroupingSpec } from "./grouping";
import { Millis } from "./time";
import { windowKey, windowMaxTimestamp } from "./windows";

/** How elements reach a stage. */
export type StageInput =
  | { kind: "impulse"; element: WindowedValue<unknown> }
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
export type Destination =
  | { kind: "stage"; stage: string }
  | { kind: "sideInput"; pcollection: string };

/** Runs one bundle of a stage: pushes the elements through its fused steps, awaiting async ones. */
export type BundleExecutor = (elements: WindowedValue<unknown>[]) => Promise<void>;

/** Engine settings. */
export interface EngineOptions {
  /** Maximum elements per bundle. */
  bundleSize: number;
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
  elementsProcessed: number;
  bundlesProcessed: number;
}

/** A window of side-input data: the window and the elements in it. */
export interface SideInputWindow {
  window: Window;
  elements: unknown[];
}

/** Progress counters, for logs and progress bars. */
export interface EngineProgress {
  bundles: number;
  elements: number;
  stages: { id: string; name: string; elements: number; pending: number; outputWatermark: Millis }[];
}

export class Engine {
  private readonly stages = new Map<string, StageState>();
  /** Stages in topological order (producers before consumers). */
  private readonly order: StageState[];
  private readonly sideInputs = new Map<string, Map<string, SideInputWindow>>();
  private lastYield = Date.now();

  constructor(stageSpecs: StageSpec[], private readonly options: EngineOptions) {
    for (const spec of stageSpecs) {
      this.stages.set(spec.id, {
        spec,
        pending: new ElementQueue(),
        grouping: spec.input.kind === "grouping" ? new Grouping(spec.input.spec) : undefined,
        impulseDone: false,
        inputWatermark: -Infinity,
        outputWatermark: -Infinity,
        inFlightHold: Infinity,
        elementsProcessed: 0,
        bundlesProcessed: 0,
      });
    }
    this.order = topologicalOrder([...this.stages.values()], (s) => s.spec.upstream.concat(s.spec.sideInputs.map((i) => i.producer)).map((id) => this.stage(id)));
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
    if (target.grouping !== undefined) {
      const grouping = target.grouping;
      return (element) => grouping.add(element);
    }
    const queue = target.pending;
    return (element) => queue.push(element);
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

  /** Runs until every stage's output watermark reaches +Infinity and nothing is pending. */
  async run(): Promise<void> {
    this.updateWatermarks();
    for (;;) {
      const next = this.nextBundle();
      if (next !== undefined) {
        await this.runBundle(next.stage, next.elements, next.hold);
        continue;
      }
      if (this.updateWatermarks()) continue;
      if (this.order.every((s) => s.outputWatermark === Infinity)) return;
      throw new Error(`pipeline stalled: nothing can run and no watermark can advance\n${this.describe()}`);
    }
  }

  /** Counters of what has run so far. */
  progress(): EngineProgress {
    let bundles = 0;
    let elements = 0;
    for (const s of this.order) {
      bundles += s.bundlesProcessed;
      elements += s.elementsProcessed;
    }
    return {
      bundles,
      elements,
      stages: this.order.map((s) => ({
        id: s.spec.id,
        name: s.spec.name,
        elements: s.elementsProcessed,
        pending: s.pending.size + (s.grouping?.size ?? 0),
        outputWatermark: s.outputWatermark,
      })),
    };
  }

  private stage(id: string): StageState {
    const s = this.stages.get(id);
    if (s === undefined) throw new Error(`unknown stage '${id}'`);
    return s;
  }

  /** The most downstream stage with runnable input, and its bundle: draining downstream first keeps queues short. */
  private nextBundle(): { stage: StageState; elements: WindowedValue<unknown>[]; hold: Millis } | undefined {
    for (let i = this.order.length - 1; i >= 0; i--) {
      const s = this.order[i];
      if (s.spec.input.kind === "impulse") {
        if (!s.impulseDone) {
          s.impulseDone = true;
          return { stage: s, elements: [s.spec.input.element], hold: -Infinity };
        }
        continue;
      }
      if (s.pending.size === 0) continue;
      const ready = s.spec.sideInputs.length === 0 ? undefined : (e: WindowedValue<unknown>) => this.sideInputsReady(s, e);
      // The queue's hold before the take bounds every element taken: no need to scan them.
      const hold = s.pending.hold;
      const elements = s.pending.take(this.options.bundleSize, ready);
      if (elements.length > 0) return { stage: s, elements, hold };
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

  private async runBundle(stage: StageState, elements: WindowedValue<unknown>[], hold: Millis): Promise<void> {
    if (stage.execute === undefined) throw new Error(`stage '${stage.spec.name}' has no executor`);
    stage.inFlightHold = hold;
    try {
      await stage.execute(elements);
    } finally {
      stage.inFlightHold = Infinity;
    }
    stage.elementsProcessed += elements.length;
    stage.bundlesProcessed += 1;
    // Long synchronous runs must still let timers, signals and I/O callbacks in.
    if (Date.now() - this.lastYield > 50) {
      await new Promise((resolve) => setImmediate(resolve));
      this.lastYield = Date.now();
    }
  }

  /** Recomputes every watermark in topological order and fires due windows. True if anything moved. */
  private updateWatermarks(): boolean {
    let changed = false;
    for (const s of this.order) {
      const input = s.spec.input;
      let inputWatermark: Millis;
      if (input.kind === "impulse") inputWatermark = s.impulseDone ? Infinity : -Infinity;
      else inputWatermark = Math.min(...s.spec.upstream.map((id) => this.stage(id).outputWatermark));
      if (s.grouping !== undefined) {
        for (const pane of s.grouping.fire(inputWatermark)) {
          s.pending.push(pane);
          changed = true;
        }
      }
      const outputWatermark = Math.min(inputWatermark, s.pending.hold, s.grouping?.hold ?? Infinity, s.inFlightHold);
      if (outputWatermark !== s.outputWatermark || inputWatermark !== s.inputWatermark) changed = true;
      s.inputWatermark = inputWatermark;
      s.outputWatermark = outputWatermark;
    }
    return changed;
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
