/**
 * One part of a bundle of a stage run by the worker-thread executor, on a worker thread
 * (`worker_main.ts`) or on the job's thread when it takes a part itself (`worker_threads.ts`): the
 * stage's steps rebuilt from the pipeline's components (fused_stage.ts), its outputs collected as
 * they leave the stage, and those bound for a lifted combine folded into one accumulator per key and
 * window (combiner lifting before the shuffle). What crosses threads is encoded by the caller.
 */
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { PipelineContext } from "apache-beam/internal/pipeline";
import type { MetricsContainer } from "apache-beam/worker/metrics";
import { deserializeFn } from "apache-beam/internal/serialize";
import type { CombineFn } from "apache-beam/transforms/group_and_combine";
import type { Coder } from "apache-beam/coders/coders";
import type { KV, Window, WindowedValue } from "apache-beam/values";
import type { StateProvider } from "apache-beam/worker/state";
import { fusedStageExecutor, type StageBundleRunner } from "./fused_stage";
import { keyIdentity } from "./keys";
import { KeyMap } from "../engine/key_map";
import { implementationOf } from "../handlers/deserialized";
import { windowKey } from "../engine/windows";
import type { PCollectionTaps } from "../status";
import type { WorkerStage } from "./thread_protocol";
import type { StageCopy } from "../../../sdk/stage_copy";

/** What one part of a bundle produced: per raw output PCollection its elements, per lifted combine its accumulators. */
export interface PartOutputs {
  outputs: [string, WindowedValue<unknown>[]][];
  /** In the order of `WorkerStage.combined`: KV(key, accumulator) per key and window. */
  accumulators: WindowedValue<KV<unknown, unknown>>[][];
  /** Its sinks' writes still landing, unless the part was built to await them (`StagePartServices.awaitsWrites`). */
  written?: Promise<void>;
}

/** What a stage part needs from the thread it runs on. */
export interface StagePartServices {
  components: runnerApi.Components;
  pipelineContext: PipelineContext;
  mainInputOf: Map<string, string>;
  metrics: MetricsContainer;
  taps: PCollectionTaps;
  stallTimeoutMs: number;
  /** Its sinks finish their writes before a part is done (see `FusedStageServices.awaitsWrites`). */
  awaitsWrites: boolean;
  /** Which copy of the stage this thread's is, among those taking parts of its bundles (see `FusedStageServices.stageCopy`). */
  stageCopy?: StageCopy;
}

/** Folds one stage output's elements into accumulators for one lifted combine. */
class PreCombiner {
  /** The accumulators in the order their key and window first came. */
  private partials: WindowedValue<KV<unknown, unknown>>[] = [];
  /** The same, by window id, then key. */
  private byWindow = new Map<string, KeyMap<WindowedValue<KV<unknown, unknown>>>>();
  /** The last window seen and its keys: consecutive elements share their window object. */
  private lastWindow: Window | undefined;
  private lastKeys: KeyMap<WindowedValue<KV<unknown, unknown>>> | undefined;
  private readonly combineFn: CombineFn<unknown, unknown, unknown>;
  private readonly addInput: CombineFn<unknown, unknown, unknown>["addInput"];
  private readonly keyId: (key: unknown) => string;

  constructor(components: runnerApi.Components, context: PipelineContext, pcollection: string, combineTransform: string) {
    const payload = runnerApi.CombinePayload.fromBinary(components.transforms[combineTransform].spec!.payload);
    this.combineFn = deserializeFn(payload.combineFn!.payload).combineFn as CombineFn<unknown, unknown, unknown>;
    this.addInput = implementationOf(this.combineFn.addInput);
    this.keyId = keyIdentity(combineKeyCoder(components, context, pcollection));
  }

  add(element: WindowedValue<unknown>): void {
    const { key, value } = element.value as KV<unknown, unknown>;
    for (const window of element.windows) {
      const keys = this.keysOf(window);
      let partial = keys.get(key);
      if (partial === undefined) {
        // The grouping emits at the end of the window: the first input's timestamp stands for all.
        partial = { value: { key, value: this.combineFn.createAccumulator() }, windows: [window], timestamp: element.timestamp, pane: element.pane };
        keys.set(key, partial);
        this.partials.push(partial);
      }
      partial.value.value = this.addInput.call(this.combineFn, partial.value.value, value);
    }
  }

  take(): WindowedValue<KV<unknown, unknown>>[] {
    const taken = this.partials;
    this.partials = [];
    this.byWindow = new Map();
    this.lastWindow = this.lastKeys = undefined;
    return taken;
  }

  private keysOf(window: Window): KeyMap<WindowedValue<KV<unknown, unknown>>> {
    if (window === this.lastWindow) return this.lastKeys!;
    const id = windowKey(window);
    let keys = this.byWindow.get(id);
    if (keys === undefined) {
      keys = new KeyMap(this.keyId);
      this.byWindow.set(id, keys);
    }
    this.lastWindow = window;
    this.lastKeys = keys;
    return keys;
  }
}

/** The key coder of the KV PCollection `pcollection` read by a lifted combine. */
export function combineKeyCoder(components: runnerApi.Components, context: PipelineContext, pcollection: string): Coder<unknown> {
  return context.getCoder(components.coders[components.pcollections[pcollection].coderId].componentCoderIds[0]);
}

// Stages with side inputs run on the in-process executor (worker_threads.ts), so none is ever asked for here.
const noSideInputs: StateProvider = {
  getState() {
    throw new Error("side inputs are read by the in-process executor; this stage should not run in parts");
  },
};

/** One stage of one job, rebuilt on the thread that runs its parts. */
export class StagePart {
  private readonly raw = new Map<string, WindowedValue<unknown>[]>();
  private readonly combiners: [string, PreCombiner][] = [];
  private readonly run: StageBundleRunner;

  constructor(stage: WorkerStage, services: StagePartServices) {
    const { components, pipelineContext: context } = services;
    for (const pcollection of stage.outputs) this.raw.set(pcollection, []);
    for (const { pcollection, combineTransform } of stage.combined) {
      this.combiners.push([pcollection, new PreCombiner(components, context, pcollection, combineTransform)]);
    }
    const exitsOf = (pcollection: string) => {
      const exits: ((element: WindowedValue<unknown>) => void)[] = [];
      const raw = this.raw.get(pcollection);
      if (raw !== undefined) exits.push((element) => raw.push(element));
      for (const [target, combiner] of this.combiners) if (target === pcollection) exits.push((element) => combiner.add(element));
      return exits;
    };
    const planned = { id: stage.id, name: stage.id, root: { kind: "queue" as const, pcollection: stage.rootPcollection }, transforms: stage.transforms, outputs: new Map(), upstream: [], sideInputs: [] };
    this.run = fusedStageExecutor(planned, { ...services, stateProvider: noSideInputs, exitsOf });
  }

  /** Runs one part; with `awaitsWrites` its sinks' writes have landed when this resolves, otherwise they are `written`. */
  async process(elements: WindowedValue<unknown>[]): Promise<PartOutputs> {
    const result = await this.run(elements);
    const outputs: [string, WindowedValue<unknown>[]][] = [];
    for (const [pcollection, collected] of this.raw) {
      if (collected.length === 0) continue;
      outputs.push([pcollection, collected.splice(0)]);
    }
    return { outputs, accumulators: this.combiners.map(([, combiner]) => combiner.take()), written: result?.written };
  }
}
