/**
 * `--runner=direct`: this project's Beam runner, written in TypeScript.
 *
 * ```ts
 * import { directRunner } from "beam-ts-native/runners/direct";
 * const result = await directRunner({ bundleSize: 1000 }).run((root) => ...);
 * console.log(await result.counters());
 * ```
 */
import { DirectRunner } from "./runner";
import type { DirectRunnerOptions } from "./options";

export type { DirectRunnerOptions } from "./options";
export type { DirectPipelineResult } from "./result";
export type { JobStatus, StageStatus, ElementListener } from "./status";
export { DirectRunner } from "./runner";
export { StepFailure } from "./execution/step_failure";

/** A direct runner with the given options (see {@link DirectRunnerOptions} for defaults). */
export function directRunner(options: DirectRunnerOptions = {}): DirectRunner {
  return new DirectRunner(options);
}
