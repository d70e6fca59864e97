/**
 * The handle on a running or finished job: its state, the error it failed with, its metrics and
 * progress. Metrics come from the same MetricsContainer the SDK's operators write to, so
 * `counters()` and `distributions()` read exactly as they do on the SDK's runners.
 */
import { PipelineResult } from "apache-beam/runners/runner";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import type { MonitoringInfo } from "apache-beam/proto/metrics";
import { MetricsContainer, MetricsShortIdCache } from "apache-beam/worker/metrics";
import type { Engine, EngineProgress } from "./engine/engine";

export class DirectPipelineResult extends PipelineResult {
  private state: JobState_Enum = JobState_Enum.RUNNING;
  private failure: Error | undefined;
  private readonly finished: Promise<void>;

  constructor(
    private readonly engine: Engine,
    private readonly metrics: MetricsContainer,
  ) {
    super();
    this.finished = engine.run().then(
      () => {
        this.state = JobState_Enum.DONE;
      },
      (error: unknown) => {
        this.state = JobState_Enum.FAILED;
        this.failure = error instanceof Error ? error : new Error(String(error));
      },
    );
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

  /** The current state of the job. */
  getState(): JobState_Enum {
    return this.state;
  }

  /** Why the job failed, once it has. */
  error(): Error | undefined {
    return this.failure;
  }

  /** What has run so far. */
  progress(): EngineProgress {
    return this.engine.progress();
  }

  async rawMetrics(): Promise<MonitoringInfo[]> {
    const ids = new MetricsShortIdCache();
    return [...this.metrics.monitoringData(ids).entries()].map(([id, payload]) => ids.asMonitoringInfo(id, payload));
  }
}
