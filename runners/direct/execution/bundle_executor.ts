/**
 * The boundary between the engine (what runs when) and execution (running a fused stage's steps).
 * The engine hands over one bundle at a time and gets back what the bundle left behind; where the
 * steps run is the executor's business. Three executors are meant to stand behind this interface:
 *
 * - in process (`in_process.ts`, today's and the default): the SDK's operators in this thread,
 *   elements passed as JS objects, side inputs read straight from the engine's store;
 * - worker threads (issue 13): each worker rebuilds the stage's operators from the pipeline proto;
 *   the bundle's elements cross as encoded buffers, outputs come back before `process` resolves;
 * - the SDK's own worker process over the Fn API (issue 12): `ExecutionServices.components` is the
 *   source of the ProcessBundleDescriptor registered per stage, `process` is a ProcessBundleRequest,
 *   elements and outputs go over the data channel encoded with the stage's coders, side inputs are
 *   answered through the state channel from `ExecutionServices.sideInputs`, and metrics come back as
 *   MonitoringInfos in the response.
 */
import type * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { PipelineContext } from "apache-beam/internal/pipeline";
import type { MonitoringInfo } from "apache-beam/proto/metrics";
import type { MetricsContainer } from "apache-beam/worker/metrics";
import type { WindowedValue } from "apache-beam/values";
import type { SideInputWindow } from "../engine/engine";
import type { Plan } from "../plan/stages";
import type { PCollectionTaps } from "../status";

/** One bundle of one fused stage. */
export interface Bundle {
  /** The fused stage (its id in the plan). */
  stageId: string;
  /**
   * Elements of the stage's main input, in order. (No stage reads user timers yet; when one does,
   * its timers travel here next to the elements, as on the Fn API's data channel.)
   */
  elements: WindowedValue<unknown>[];
}

/** What a bundle left behind. Every output was delivered through `ExecutionServices.outputs` before `process` resolved. */
export interface BundleResult {
  /**
   * The sinks' writes still landing (see engine/durability.ts): the engine holds the bundle's source
   * input unacknowledged until this resolves, and fails the job if it rejects.
   */
  written?: Promise<void>;
  /**
   * The bundle's metrics, from an executor that cannot write into `ExecutionServices.metrics` itself
   * (another thread or process). The in-process executor writes there directly and returns none.
   */
  metrics?: MonitoringInfo[];
}

/** What every executor gets from the runner around it. */
export interface ExecutionServices {
  /** The pipeline's components: transforms, PCollections, coders, windowing strategies, environments. */
  components: runnerApi.Components;
  /** The job's pipeline context (coders by id), shared by every stage. */
  pipelineContext: PipelineContext;
  /** The engine's intakes for a PCollection leaving stage `stageId`. */
  outputs(stageId: string, pcollection: string): ((element: WindowedValue<unknown>) => void)[];
  /** Side-input access: the materialized windows of a side-input PCollection, by window key. */
  sideInputs(pcollection: string): ReadonlyMap<string, SideInputWindow>;
  /** Where the job's metrics are kept (and read by the job's result). */
  metrics: MetricsContainer;
  /** A bundle that delivers nothing for this long while waiting on a step fails, naming the step. */
  stallTimeoutMs: number;
  /**
   * Where each PCollection's elements are counted, and shown to the job's watchers (status.ts), as
   * they are produced. (An executor in another thread or process would send its counts back with its
   * metrics instead; watchers of elements are for in-process execution.)
   */
  taps: PCollectionTaps;
  /**
   * Called before each element of a bundle by an executor that pushes them one at a time through the
   * stage in this thread, and with undefined once all are in (what finishBundle emits derives from
   * the whole bundle): what is emitted meanwhile derives from that element alone. Checkpoints need
   * it (engine/checkpoints.ts): a pane's contribution and its source message must be made durable
   * together.
   */
  lineage?: (element: WindowedValue<unknown> | undefined) => void;
  /** Stages whose bundles must run through an executor that reports {@link lineage}: they feed checkpointed panes. */
  lineageStages?: ReadonlySet<string>;
}

/** Runs bundles of the stages of one plan. */
export interface BundleExecutor {
  /** Runs one bundle through its stage's fused steps; rejects with a StepFailure if a step fails. */
  process(bundle: Bundle): Promise<BundleResult | undefined>;
  /** The job ended: stop whatever the executor started (threads, processes, channels). */
  close(): Promise<void>;
}

/** Makes the executor of a job. */
export type BundleExecutorFactory = (plan: Plan, services: ExecutionServices) => BundleExecutor;
