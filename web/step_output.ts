/** Naming a PCollection of a pipeline the way its author does: the step's `withName` name and the output's tag. */
import type * as runnerApi from "apache-beam/proto/beam_runner_api";

/** A step's output: the step's unique name, and the tag where it has several outputs. */
export interface StepOutput {
  step: string;
  output?: string;
}

/** The PCollection id of `what` in `pipeline`; throws naming the step or tag it cannot find. */
export function outputOf(pipeline: runnerApi.Pipeline, what: StepOutput): string {
  const transform = Object.values(pipeline.components!.transforms).find((t) => t.uniqueName === what.step);
  if (transform === undefined) throw new Error(`the pipeline has no step named '${what.step}'`);
  const tags = Object.keys(transform.outputs);
  const tag = what.output ?? (tags.length === 1 ? tags[0] : undefined);
  if (tag === undefined || transform.outputs[tag] === undefined) {
    throw new Error(`step '${what.step}' has no output '${what.output ?? ""}' (its outputs: ${tags.join(", ")})`);
  }
  return transform.outputs[tag];
}
