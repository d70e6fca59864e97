/**
 * The pipeline proto the SDK builds, captured without running it: a Runner whose runPipeline keeps
 * the proto. What this returns is exactly what any runner (ours, Dataflow) would be handed.
 */
import * as beam from "apache-beam";
import type * as runnerApi from "apache-beam/proto/beam_runner_api";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { PipelineResult } from "apache-beam/runners/runner";

class CapturingRunner extends beam.Runner {
  captured?: runnerApi.Pipeline;

  async runPipeline(pipeline: runnerApi.Pipeline): Promise<PipelineResult> {
    this.captured = pipeline;
    return new (class extends PipelineResult {
      async waitUntilFinish(): Promise<JobState_Enum> {
        return JobState_Enum.DONE;
      }
    })();
  }
}

/** Builds a pipeline with `build` and returns its proto. */
export async function capturePipeline(build: (root: beam.Root) => void): Promise<runnerApi.Pipeline> {
  const runner = new CapturingRunner();
  await runner.run(build);
  return runner.captured!;
}

/** The one transform whose unique name ends with `nameSuffix`. */
export function transformNamed(pipeline: runnerApi.Pipeline, nameSuffix: string): runnerApi.PTransform {
  const found = Object.values(pipeline.components!.transforms).filter((t) => t.uniqueName.endsWith(nameSuffix));
  if (found.length !== 1) throw new Error(`${found.length} transforms named *${nameSuffix}`);
  return found[0];
}

/** The windowing strategy of the PCollection that transform `nameSuffix` outputs. */
export function outputWindowing(pipeline: runnerApi.Pipeline, nameSuffix: string): runnerApi.WindowingStrategy {
  const components = pipeline.components!;
  const output = Object.values(transformNamed(pipeline, nameSuffix).outputs)[0];
  return components.windowingStrategies[components.pcollections[output].windowingStrategyId];
}
