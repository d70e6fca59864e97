/**
 * The messages between the worker-thread executor (`worker_threads.ts`, main thread) and a worker
 * (`worker_main.ts`). A job is opened on a worker once (its components and the stages it may run),
 * then bundles run by sequence number; every reply names the bundle it answers.
 */
import type { EncodedElements } from "./wire";
import type { MetricUpdate } from "./thread_metrics";
import type { StageCopy } from "../../../sdk/stage_copy";

/** A stage as a worker rebuilds it: the steps, its root PCollection and what leaves it. */
export interface WorkerStage {
  id: string;
  rootPcollection: string;
  transforms: string[];
  /** PCollections leaving the stage. */
  outputs: string[];
  /** Outputs read by a lifted combine: pre-combined on the worker, one accumulator per key and window. */
  combined: { pcollection: string; combineTransform: string }[];
}

export type ToWorker =
  | {
      kind: "open";
      job: number;
      /** runnerApi.Components, binary. */
      components: Uint8Array;
      stages: WorkerStage[];
      mainInputOf: [string, string][];
      /** Files of the modules registered for serialization, loaded before any DoFn is rebuilt. */
      modules: string[];
      stallTimeoutMs: number;
      /** Which copy of every stage this thread runs: copy i of the `workers` that take parts of a bundle. */
      stageCopy: StageCopy;
    }
  | {
      kind: "bundle";
      job: number;
      seq: number;
      stageId: string;
      input: EncodedElements;
      /** PCollections someone watches on the main thread (status.ts): their elements come back too. */
      watched: string[];
    }
  | { kind: "close"; job: number };

/** A step failure as it crosses threads. */
export interface FailureReport {
  step?: string;
  element?: unknown;
  phase?: string;
  message: string;
  name: string;
  stack?: string;
}

export type FromWorker =
  | {
      kind: "done";
      seq: number;
      outputs: [string, EncodedElements][];
      /** Accumulators for lifted combines: [pcollection, encoded KV(key, accumulator)]. */
      accumulators: [string, EncodedElements][];
      outbox: [string, unknown][];
      metrics: MetricUpdate[];
      /** Elements each PCollection produced on the worker carried (status.ts counts them). */
      counts: [string, number][];
      /** Elements of the watched PCollections produced by this bundle. */
      watchedElements: [string, EncodedElements][];
    }
  | { kind: "failed"; seq: number; failure: FailureReport }
  /** The job's stages are rebuilt: the worker is ready for its bundles. */
  | { kind: "opened"; job: number }
  | { kind: "broken"; failure: FailureReport };
