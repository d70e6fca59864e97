/**
 * A read-only view of a job for whoever watches it (a web page, a script): the pipeline proto, the
 * fused stages with their watermarks, how many elements each PCollection has carried, and a way to
 * look at the elements of a PCollection as they pass. Nothing here can steer the job.
 *
 * Elements are counted where their PCollection is produced — in the fused stage that runs the
 * producing step (or reads the source, or fires the grouping's panes) — so each is counted once
 * however many stages read it.
 */
import type * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { WindowedValue } from "apache-beam/values";
import type { DroppedElements } from "./engine/grouping";
import type { EngineProgress } from "./engine/engine";
import type { PlannedStage } from "./plan/stages";

/** Called with each element of a watched PCollection, during the bundle that produces it. */
export type ElementListener = (element: WindowedValue<unknown>) => void;

/** One PCollection's count and listeners. */
export class PCollectionTap {
  count = 0;
  listeners: ElementListener[] = [];

  /** Counts `element` and shows it to the listeners; a listener that throws is detached, never the job's failure. */
  pass(element: WindowedValue<unknown>): void {
    this.count++;
    // Called for every element of every PCollection: nobody watching (the usual case) costs a compare.
    if (this.listeners.length !== 0) this.show(element);
  }

  /** Shows `element` to the listeners without counting it (an element counted on a worker thread). */
  show(element: WindowedValue<unknown>): void {
    for (const listener of this.listeners) {
      try {
        listener(element);
      } catch (error) {
        this.listeners = this.listeners.filter((l) => l !== listener);
        process.stderr.write(`a watcher of the job failed and was detached: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
  }
}

/** The taps of every PCollection of a job. */
export class PCollectionTaps {
  private readonly taps = new Map<string, PCollectionTap>();

  /** The tap of `pcollection` (made on first use). */
  tap(pcollection: string): PCollectionTap {
    let tap = this.taps.get(pcollection);
    if (tap === undefined) {
      tap = new PCollectionTap();
      this.taps.set(pcollection, tap);
    }
    return tap;
  }

  /** The PCollections someone watches now. */
  watched(): string[] {
    return [...this.taps].filter(([, tap]) => tap.listeners.length > 0).map(([id]) => id);
  }

  /** Elements carried so far, by PCollection id. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.taps].map(([id, tap]) => [id, tap.count]));
  }

  /** Calls `listener` with every element of `pcollection` from now on; returns what stops it. */
  observe(pcollection: string, listener: ElementListener): () => void {
    const tap = this.tap(pcollection);
    tap.listeners = [...tap.listeners, listener];
    return () => {
      tap.listeners = tap.listeners.filter((l) => l !== listener);
    };
  }
}

/** One fused stage as it stands. Watermarks in ms: -Infinity before any data, +Infinity once done. */
export interface StageStatus {
  id: string;
  name: string;
  /** How elements reach it: the impulse, a source, a grouping's panes, or a queue (Flatten, side-input wait). */
  rootKind: PlannedStage["root"]["kind"];
  /** The step that feeds it (impulse, source, grouping), if one does. */
  rootTransform?: string;
  /** The PCollection its first steps read. */
  rootPCollection: string;
  /** Transform ids of the steps fused into it, producers first. */
  transforms: string[];
  inputWatermark: number;
  outputWatermark: number;
  /** Elements it has processed. */
  elements: number;
  /** Elements waiting for it (queued, or in open panes). */
  pending: number;
  dropped?: DroppedElements;
}

/** A snapshot of a job, for those who show it. */
export interface JobStatus {
  /** The JobState name: RUNNING, DRAINING, DONE, FAILED, CANCELLED. */
  state: string;
  drainReason?: string;
  /** Why it failed or was cancelled. */
  error?: { message: string; step?: string };
  /** Wall-clock ms when the job started, and of this snapshot. */
  startedAtMs: number;
  nowMs: number;
  /** The pipeline proto the runner executes (names from `withName`, composites as subtransforms). */
  pipeline: runnerApi.Pipeline;
  stages: StageStatus[];
  /** Elements each PCollection has carried, by id. */
  pcollections: Record<string, number>;
  /** What each source says about itself (acknowledged, outstanding, latency…), by stage name. */
  sources: EngineProgress["sources"];
  sourceElements: number;
  dropped: DroppedElements;
}

/** The stage fields of `status` that the plan knows (the rest come from the engine's progress). */
export function stageStatuses(plan: PlannedStage[], progress: EngineProgress): StageStatus[] {
  const byId = new Map(progress.stages.map((s) => [s.id, s]));
  return plan.map((stage) => {
    const now = byId.get(stage.id)!;
    return {
      id: stage.id,
      name: stage.name,
      rootKind: stage.root.kind,
      rootTransform: "transformId" in stage.root ? stage.root.transformId : undefined,
      rootPCollection: stage.root.pcollection,
      transforms: stage.transforms,
      inputWatermark: now.inputWatermark,
      outputWatermark: now.outputWatermark,
      elements: now.elements,
      pending: now.pending,
      dropped: now.dropped,
    };
  });
}

/**
 * True where the PCollection at the root of `stage` is produced in that stage (a source's output,
 * a grouping's panes, a Flatten's output); false where it is the main input of a side-input ParDo,
 * which is produced — and counted — upstream.
 */
export function rootProducedInStage(stage: PlannedStage): boolean {
  return !(stage.root.kind === "queue" && stage.sideInputs.length > 0);
}
