/**
 * The direct runner: executes the pipeline proto the SDK builds, in this process.
 *
 *   proto ──plan──▶ fused stages ──handlers──▶ engine stages ──▶ engine.run()
 *                               └─execution──▶ a BundleExecutor (in process) runs each bundle
 */
// The SDK's modules import each other in a cycle that only resolves when its root loads first.
import "apache-beam";
import { Runner } from "apache-beam/runners/runner";
import type { PipelineOptions } from "apache-beam/options/pipeline_options";
import type { PValue, Root } from "apache-beam/pvalue";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { PipelineContext } from "apache-beam/internal/pipeline";
import { MetricsContainer } from "apache-beam/worker/metrics";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { Clock, ManualClock, wallClock } from "../../sdk/clock";
import { Engine, StageSpec } from "./engine/engine";
import { CheckpointStore } from "./engine/checkpoint_store";
import { planStages, PlannedStage } from "./plan/stages";
import { inProcessExecutor } from "./execution/in_process";
import { workerThreadsExecutor } from "./execution/worker_threads";
import { fnApiExecutor } from "./execution/fn_api/fn_api_executor";
import { refuseJobThreadSteps } from "./execution/job_thread_steps";
import { mergeMonitoringInfos } from "./execution/monitoring_infos";
import { groupingSpec } from "./handlers/grouping";
import { impulseElement } from "./handlers/impulse";
import { TEST_STREAM_URN } from "./plan/urns";
import { sourceUrns, streamSource } from "./handlers/sources";
import { DirectPipelineResult } from "./result";
import { DirectRunnerOptions, ResolvedDirectRunnerOptions, resolveOptions, stopReason } from "./options";
import { verifySerialization } from "./verify_serialization";
import { PCollectionTaps } from "./status";

export class DirectRunner extends Runner {
  private readonly options: ResolvedDirectRunnerOptions;

  constructor(options: DirectRunnerOptions = {}) {
    super();
    this.options = resolveOptions(options);
  }

  /** Runs the pipeline to completion; rejects with the error the job failed with. */
  async run(pipeline: (root: Root) => PValue<any> | Promise<PValue<any>>, options?: PipelineOptions): Promise<DirectPipelineResult> {
    const result = await this.runAsync(pipeline, options);
    const state = await result.waitUntilFinish();
    if (state !== JobState_Enum.DONE) throw result.error() ?? new Error(`job finished in state ${JobState_Enum[state]}`);
    return result;
  }

  runAsync(pipeline: (root: Root) => PValue<any> | Promise<PValue<any>>, options?: PipelineOptions): Promise<DirectPipelineResult> {
    return super.runAsync(pipeline, options) as Promise<DirectPipelineResult>;
  }

  /** Plans the pipeline and starts it; the result tracks it. */
  async runPipeline(proto: runnerApi.Pipeline): Promise<DirectPipelineResult> {
    const pipeline = this.options.verifySerialization ? verifySerialization(proto) : proto;
    const components = pipeline.components!;
    const context = new PipelineContext(components, "");
    const plan = planStages(pipeline, sourceUrns());
    // SDK worker processes cannot run a step on this thread: such a job fails before it starts.
    if (this.options.environment !== "in_process") refuseJobThreadSteps(components, plan.stages.flatMap((s) => s.transforms), "in an SDK worker process");
    // Under a TestStream processing time is the stream's to move; otherwise it is the wall clock's.
    const drivenByTestStream = plan.stages.some((s) => s.root.kind === "source" && components.transforms[s.root.transformId].spec?.urn === TEST_STREAM_URN);
    const clock: Clock = drivenByTestStream ? new ManualClock() : wallClock;
    const startedAt = clock.now();
    const stopAfter = this.options.stopAfter;
    const engine = new Engine(
      plan.stages.map((s) => engineStage(s, components, context, clock)),
      {
        bundleSize: this.options.bundleSize,
        clock,
        shouldDrain: stopAfter && ((progress) => stopReason(stopAfter, progress, startedAt, clock.now())),
        checkpoints: this.options.checkpointDir === undefined ? undefined : new CheckpointStore(this.options.checkpointDir),
        // SDK worker processes answer for a bundle as a whole (see Engine.lineage).
        lineage: this.options.environment === "in_process",
      },
    );
    const metrics = new MetricsContainer();
    const taps = new PCollectionTaps();
    const exits = new Map(
      plan.stages.map((stage) => [stage.id, new Map([...stage.outputs].map(([pcoll, destinations]) => [pcoll, destinations.map((d) => engine.emitter(d))]))]),
    );
    const executorOf =
      this.options.environment !== "in_process"
        ? fnApiExecutor({
            workers: this.options.workers,
            workerStartTimeoutMs: this.options.workerStartTimeoutMs,
            workerPool: this.options.environment === "external" ? this.options.workerPool : undefined,
            pool: this.options.environment === "process" ? this.options.sdkWorkerPool : undefined,
          })
        : this.options.workers === 1
          ? inProcessExecutor
          : workerThreadsExecutor(this.options.workers);
    const executor = executorOf(plan, {
      components,
      pipelineContext: context,
      outputs: (stageId, pcollection) => exits.get(stageId)?.get(pcollection) ?? [],
      sideInputs: (pcollection) => engine.sideInputStore(pcollection),
      metrics,
      stallTimeoutMs: this.options.stallTimeoutMs,
      taps,
      // Only a job with checkpointed panes needs it: no call per element otherwise.
      lineage: engine.lineageStages().size > 0 ? (element) => engine.lineage(element) : undefined,
      lineageStages: engine.lineageStages(),
    });
    for (const stage of plan.stages) {
      engine.setExecutor(stage.id, async (elements) => {
        const result = await executor.process({ stageId: stage.id, elements });
        if (result?.metrics !== undefined) mergeMonitoringInfos(metrics, result.metrics);
        return result?.written === undefined ? undefined : { written: result.written };
      });
    }
    return new DirectPipelineResult(engine, metrics, () => executor.close(), { pipeline, stages: plan.stages, taps });
  }
}

function engineStage(stage: PlannedStage, components: runnerApi.Components, context: PipelineContext, clock: Clock): StageSpec {
  const root = stage.root;
  const bounded = components.pcollections[root.pcollection].isBounded !== runnerApi.IsBounded_Enum.UNBOUNDED;
  const base = { id: stage.id, name: stage.name, upstream: stage.upstream, bounded, sideInputs: stage.sideInputs };
  switch (root.kind) {
    case "impulse":
      return { ...base, input: { kind: "impulse", element: impulseElement() } };
    case "source":
      return {
        ...base,
        input: { kind: "source", source: streamSource(components.transforms[root.transformId], context, clock) },
      };
    case "grouping":
      return { ...base, input: { kind: "grouping", spec: groupingSpec(components.transforms[root.transformId], components, context) } };
    case "queue":
      return { ...base, input: { kind: "queue" } };
  }
}
