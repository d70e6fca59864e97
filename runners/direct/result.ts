/**
 * The handle on a running or finished job: its state, the error it failed with, its metrics and
 * progress, and the controls of a streaming job (drain, cancel). Metrics come from the same
 * MetricsContainer the SDK's operators write to, so `counters()` and `distributions()` read exactly
 * as they do on the SDK's runners; the runner adds its own counters of dropped late data.
 *
 * A library object: it prints nothing and installs no signal handlers (a command line does that with
 * `cli/signals.ts`), and the stop condition is the engine's (EngineOptions.shouldDrain).
 */
import { PipelineResult } from "apache-beam/runners/runner";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import type { MonitoringInfo } from "apache-beam/proto/metrics";
import { MetricsContainer, MetricsShortIdCache } from "apache-beam/worker/metrics";
import type { Engine, EngineProgress } from "./engine/engine";
import type { Pipeline } from "apache-beam/proto/beam_runner_api";
import type { PlannedStage } from "./plan/stages";
import { stageStatuses, type ElementListener, type JobStatus, type PCollectionTaps } from "./status";
import { StepFailure } from "./execution/step_failure";

/** Counter names under which the runner reports elements it refused. */
export const DROPPED_LATE_COUNTER = "droppedDueToLateness";
export const DROPPED_CLOSED_WINDOW_COUNTER = "droppedDueToClosedWindow";

/** The job was cancelled (cancel()): what was in flight is lost. */
export class JobCancelled extends Error {
  constructor(reason: string) {
    super(`job cancelled: ${reason}`);
    this.name = "JobCancelled";
  }
}

/** What the result shows of its job to those who watch it (status.ts). */
export interface JobAnatomy {
  pipeline: Pipeline;
  stages: PlannedStage[];
  taps: PCollectionTaps;
}

export class DirectPipelineResult extends PipelineResult {
  private state: JobState_Enum = JobState_Enum.RUNNING;
  private failure: Error | undefined;
  private readonly finished: Promise<void>;
  private readonly startedAtMs = Date.now();

  constructor(
    private readonly engine: Engine,
    private readonly metrics: MetricsContainer,
    /** Releases what the job's execution started; called once the job has ended, however it ended. */
    close: () => Promise<void>,
    private readonly anatomy: JobAnatomy,
  ) {
    super();
    this.finished = engine.run().then(
      () => {
        this.state = JobState_Enum.DONE;
      },
      (error: unknown) => {
        this.state = error instanceof JobCancelled ? JobState_Enum.CANCELLED : JobState_Enum.FAILED;
        this.failure = error instanceof Error ? error : new Error(String(error));
      },
    ).finally(close);
  }

  /** Resolves with the final state once the job has finished, or the current state after `duration` ms. */
  async waitUntilFinish(duration?: number): Promise<JobState_Enum> {
    if (duration === undefined) {
      await this.finished;
    } else {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.finished, new Promise((resolve) => (timer = setTimeout(resolve, duration)))]);
      clearTimeout(timer);
    }
    return this.state;
  }

  /** The current state of the job (DRAINING while it drains). */
  getState(): JobState_Enum {
    return this.state === JobState_Enum.RUNNING && this.engine.draining !== undefined ? JobState_Enum.DRAINING : this.state;
  }

  /** Why the job failed or was cancelled, once it has. */
  error(): Error | undefined {
    return this.failure;
  }

  /** Why the job is draining, if it is. */
  drainReason(): string | undefined {
    return this.engine.draining;
  }

  /** What has run so far. */
  progress(): EngineProgress {
    return this.engine.progress();
  }

  /** A snapshot of the job for a page or a script: its proto, stages, watermarks and counts (read-only). */
  status(): JobStatus {
    const progress = this.engine.progress();
    const failure = this.failure;
    return {
      state: JobState_Enum[this.getState()],
      drainReason: this.engine.draining,
      error: failure && { message: failure.message, step: failure instanceof StepFailure ? failure.step : undefined },
      startedAtMs: this.startedAtMs,
      nowMs: Date.now(),
      pipeline: this.anatomy.pipeline,
      stages: stageStatuses(this.anatomy.stages, progress),
      pcollections: this.anatomy.taps.counts(),
      sources: progress.sources,
      sourceElements: progress.sourceElements,
      dropped: progress.dropped,
    };
  }

  /**
   * Calls `listener` with each element of PCollection `pcollection` (an id of the proto in
   * {@link status}) from now on, in the bundle that produces it; returns what stops it. A listener
   * must be quick and must not change the element; one that throws is detached.
   */
  observe(pcollection: string, listener: ElementListener): () => void {
    return this.anatomy.taps.observe(pcollection, listener);
  }

  /** Stops reading and lets everything already read finish: windows fire, sinks flush. */
  drain(reason = "drain requested"): void {
    this.engine.drain(reason);
  }

  /** Stops now; what is in flight is lost (and, for Pub/Sub, redelivered: nothing was acked). */
  cancel(reason = "cancel requested"): void {
    this.engine.cancel(new JobCancelled(reason));
  }

  async rawMetrics(): Promise<MonitoringInfo[]> {
    const ids = new MetricsShortIdCache();
    return [...this.metrics.monitoringData(ids).entries()].map(([id, payload]) => ids.asMonitoringInfo(id, payload));
  }

  /** User counters, plus the runner's counts of dropped elements (present once any was dropped, as counters are). */
  async counters(): Promise<{ [key: string]: number }> {
    const { dropped } = this.engine.progress();
    const counters = await super.counters();
    if (dropped.late > 0) counters[DROPPED_LATE_COUNTER] = dropped.late;
    if (dropped.closedWindow > 0) counters[DROPPED_CLOSED_WINDOW_COUNTER] = dropped.closedWindow;
    return counters;
  }
}
