/**
 * Runs a fused stage's steps with the SDK's own operators (the same classes Dataflow's TypeScript
 * worker runs): ParDo with its context params and side inputs, window assignment, timestamp
 * assignment, multi-output splitting, and every operator registered for a custom URN (our IO).
 * Elements flow between them as JS objects; at the stage's outputs they are handed to the engine.
 */
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { PipelineContext } from "apache-beam/internal/pipeline";
import * as operators from "apache-beam/worker/operators";
import { MetricsContainer } from "apache-beam/worker/metrics";
import type { StateProvider } from "apache-beam/worker/state";
import type { WindowedValue } from "apache-beam/values";
import type { DeferredWritesContext } from "../../../sdk/deferred_writes";
import type { StageCopy, StageCopyContext } from "../../../sdk/stage_copy";
import type { BundleResult } from "./bundle_executor";
import type { PlannedStage } from "../plan/stages";
import { asStepFailure } from "./step_failure";
import { nativeParDo, type NativeOperator } from "../handlers/pardo";
import type { ValueReceiver } from "../../../sdk/value_receiver";
import { rootProducedInStage, type PCollectionTap, type PCollectionTaps } from "../status";

type Operator = operators.IOperator;

/** What a stage needs from the runner around it. */
export interface FusedStageServices {
  components: runnerApi.Components;
  pipelineContext: PipelineContext;
  mainInputOf: Map<string, string>;
  metrics: MetricsContainer;
  stateProvider: StateProvider;
  /** The engine's intake for each PCollection leaving this stage. */
  exitsOf(pcollection: string): ((element: WindowedValue<unknown>) => void)[];
  /** A bundle that delivers nothing for this long while waiting on a step fails, naming the step. */
  stallTimeoutMs: number;
  /** Where each PCollection produced here is counted and shown to its watchers (status.ts). */
  taps: PCollectionTaps;
  /** See {@link ExecutionServices.lineage}. */
  lineage?: (element: WindowedValue<unknown> | undefined) => void;
  /**
   * The caller waits for the bundle's writes before going on (a part of a bundle, on a worker thread
   * or this one): sinks are not offered to hand their writes over, so they finish them in
   * `finishBundle` as Beam's contract says — rather than wait there for later bundles to fill their
   * last batch (sdk/deferred_writes.ts), which a caller waiting for them never sends.
   */
  awaitsWrites?: boolean;
  /** Which of the copies of this stage running at once this one is (sdk/stage_copy.ts); none: the only one. */
  stageCopy?: StageCopy;
}

/**
 * What the bundle in flight is doing, for the stall watchdog: a counter that moves with every element
 * delivered, and the step whose promise the stage is waiting on.
 */
class BundleActivity {
  delivered = 0;
  waitingOn: string | undefined;
}

/**
 * Fans one PCollection out to the steps of this stage that read it and to the engine. Our operators
 * hand it values in the windows of an element already made (`receiveValue`); an element is made only
 * for what keeps or reads it as one: the engine, a watcher, the SDK's operators.
 */
class StageReceiver implements ValueReceiver {
  /** The one reader, when it is ours and nothing else takes the PCollection: it is handed values. */
  private readonly valueReader: NativeOperator | undefined;

  constructor(
    private readonly operators: Operator[],
    private readonly exits: ((element: WindowedValue<unknown>) => void)[],
    private readonly stepName: (transformId: string) => string,
    private readonly activity: BundleActivity,
    /** Undefined where the PCollection is produced (and counted) in another stage. */
    private readonly tap: PCollectionTap | undefined,
  ) {
    const only = operators.length === 1 && exits.length === 0 ? (operators[0] as Partial<NativeOperator>) : undefined;
    this.valueReader = typeof only?.processValue === "function" ? (only as NativeOperator) : undefined;
  }

  receive(element: WindowedValue<unknown>): operators.ProcessResult {
    this.activity.delivered++;
    this.tap?.pass(element);
    const { exits, operators: readers } = this;
    for (let i = 0; i < exits.length; i++) exits[i](element);
    // Called for every element at every step: one reader (or none, at a stage's exit) is the common
    // case, and needs no result builder.
    if (readers.length === 1) return this.deliver(readers[0], element);
    if (readers.length === 0) return operators.NonPromise;
    const results = new operators.ProcessResultBuilder();
    for (const operator of readers) results.add(this.deliver(operator, element));
    return results.build();
  }

  receiveValue(value: unknown, like: WindowedValue<unknown>): operators.ProcessResult {
    const reader = this.valueReader;
    const tap = this.tap;
    if (reader === undefined || (tap !== undefined && tap.listeners.length !== 0)) {
      return this.receive({ value, windows: like.windows, timestamp: like.timestamp, pane: like.pane });
    }
    this.activity.delivered++;
    if (tap !== undefined) tap.count++;
    try {
      const result = reader.processValue(value, like);
      return result === operators.NonPromise ? result : this.awaited(reader, result, value);
    } catch (error) {
      throw asStepFailure(error, this.stepName(reader.transformId), value);
    }
  }

  private deliver(operator: Operator, element: WindowedValue<unknown>): operators.ProcessResult {
    try {
      const result = operator.process(element);
      return result === operators.NonPromise ? result : this.awaited(operator, result, element.value);
    } catch (error) {
      throw asStepFailure(error, this.stepName(operator.transformId), element.value);
    }
  }

  /** A step's promise, its failure named after the step and the element. */
  private awaited(operator: Operator, result: Promise<void>, value: unknown): Promise<void> {
    // The innermost step to return a promise is the one the stage waits on.
    this.activity.waitingOn ??= this.stepName(operator.transformId);
    return result.catch((error: unknown) => {
      throw asStepFailure(error, this.stepName(operator.transformId), value);
    });
  }
}

/** Runs one bundle of a stage through its operators. */
export type StageBundleRunner = (elements: WindowedValue<unknown>[]) => Promise<BundleResult | undefined>;

/** Builds the operators of `stage` once and returns the function that runs one bundle through them. */
export function fusedStageExecutor(stage: PlannedStage, services: FusedStageServices): StageBundleRunner {
  const { components } = services;
  const inStage = new Set(stage.transforms);
  const consumers = new Map<string, string[]>();
  for (const id of stage.transforms) {
    const main = services.mainInputOf.get(id)!;
    (consumers.get(main) ?? consumers.set(main, []).get(main)!).push(id);
  }
  const stepName = (id: string) => components.transforms[id]?.uniqueName ?? id;
  const created = new Map<string, Operator>();
  const creationOrder: Operator[] = [];
  const receivers = new Map<string, StageReceiver>();
  const activity = new BundleActivity();
  const descriptor = {
    id: stage.id,
    transforms: components.transforms,
    pcollections: components.pcollections,
    windowingStrategies: components.windowingStrategies,
    coders: components.coders,
    environments: components.environments,
  };

  const getReceiver = (pcollection: string): StageReceiver => {
    let receiver = receivers.get(pcollection);
    if (receiver === undefined) {
      const readers = (consumers.get(pcollection) ?? []).filter((id) => inStage.has(id)).map(getOperator);
      const producedHere = pcollection !== stage.root.pcollection || rootProducedInStage(stage);
      receiver = new StageReceiver(readers, services.exitsOf(pcollection), stepName, activity, producedHere ? services.taps.tap(pcollection) : undefined);
      receivers.set(pcollection, receiver);
    }
    return receiver;
  };
  const context = new operators.OperatorContext(
    descriptor as never,
    // The SDK's operators call only `receive`.
    (pcollection: string) => getReceiver(pcollection) as unknown as operators.Receiver,
    () => {
      throw new Error("the direct runner has no data channel");
    },
    () => services.stateProvider,
    () => stage.id,
    {},
    services.metrics,
  );
  // One context per job: its coder cache is shared by every stage.
  context.pipelineContext = services.pipelineContext;
  if (services.stageCopy !== undefined) (context as unknown as StageCopyContext).stageCopy = services.stageCopy;
  // Sinks hand their writes over (sdk/deferred_writes.ts): the engine holds the bundle's input
  // unacknowledged until they land, and the stage's next bundle runs meanwhile — unless the caller
  // waits for them anyway.
  let deferred: Promise<void>[] = [];
  let finishingStep: string | undefined;
  if (!services.awaitsWrites) {
    (context as unknown as DeferredWritesContext).deferWrites = (written) => {
      deferred.push(withinStallTimeout(written, finishingStep ?? stage.id, services.stallTimeoutMs));
    };
  }
  function getOperator(id: string): Operator {
    let operator = created.get(id);
    if (operator === undefined) {
      try {
        operator = nativeParDo(id, components, getReceiver, services.metrics) ?? operators.createOperator(id, context);
      } catch (error) {
        throw asStepFailure(error, stepName(id), undefined, "to start");
      }
      created.set(id, operator);
      creationOrder.push(operator);
    }
    return operator;
  }

  const root = getReceiver(stage.root.pcollection);
  // Operators are created consumers first; producers first is the reverse.
  const topological = [...creationOrder].reverse();

  const runBundle = async (elements: WindowedValue<unknown>[]) => {
    for (const operator of creationOrder) {
      try {
        await operator.startBundle();
      } catch (error) {
        throw asStepFailure(error, stepName(operator.transformId), undefined, "in startBundle");
      }
    }
    const lineage = services.lineage;
    for (const element of elements) {
      lineage?.(element);
      const result = root.receive(element);
      if (result !== operators.NonPromise) {
        await result;
        activity.waitingOn = undefined;
      }
    }
    lineage?.(undefined);
    for (const operator of topological) {
      activity.waitingOn = finishingStep = stepName(operator.transformId);
      try {
        await operator.finishBundle();
      } catch (error) {
        throw asStepFailure(error, finishingStep, undefined, "in finishBundle");
      }
    }
    activity.waitingOn = finishingStep = undefined;
    if (deferred.length === 0) return undefined;
    const written = Promise.all(deferred).then(() => undefined);
    deferred = [];
    return { written };
  };

  return (elements) => withStallWatchdog(runBundle(elements), activity, services.stallTimeoutMs);
}

/**
 * `written` (a sink's deferred writes), rejecting with a failure of `step` if they neither land nor
 * fail within `timeoutMs`: writes nobody waits on must still never hang the job.
 */
function withinStallTimeout(written: Promise<void>, step: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`step '${step}' made no progress for ${timeoutMs} ms: is its destination reachable?`)), timeoutMs);
    timer.unref();
  });
  const failed = written.catch((error: unknown) => {
    throw asStepFailure(error, step, undefined, "writing");
  });
  return Promise.race([failed, stalled]).finally(() => clearTimeout(timer));
}

/**
 * Rejects if the bundle waits on a step and no element moves for `timeoutMs`: a sink that never
 * answers surfaces as an error naming it, instead of a job that hangs. A slow but moving bundle
 * (a large file being read) is never cut short.
 */
function withStallWatchdog<T>(bundle: Promise<T>, activity: BundleActivity, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    let seen = activity.delivered;
    let still = 0;
    const checkEveryMs = Math.max(10, Math.floor(timeoutMs / 4));
    timer = setInterval(() => {
      if (activity.delivered !== seen || activity.waitingOn === undefined) {
        seen = activity.delivered;
        still = 0;
        return;
      }
      still += checkEveryMs;
      if (still >= timeoutMs) {
        reject(new Error(`step '${activity.waitingOn}' made no progress for ${timeoutMs} ms: is its destination reachable?`));
      }
    }, checkEveryMs);
    timer.unref();
  });
  return Promise.race([bundle, stalled]).finally(() => clearInterval(timer));
}
