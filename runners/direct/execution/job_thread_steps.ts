/**
 * Steps that must run on the job's thread: those whose serialized DoFns, sinks or combine functions
 * name a module declared with `runsOnJobThread` (`sdk/job_thread.ts`: an in-process fake, a
 * recording read by the code that runs the pipeline). On a worker they would silently use a copy of
 * the module; the worker-thread executor runs their stages on the job's thread instead, and an
 * executor in SDK worker processes refuses the job. A registered value is serialized as
 * `beam:<module>.<export>…`, so the module's name in a step's payload is what tells.
 */
import type * as runnerApi from "apache-beam/proto/beam_runner_api";
import { jobThreadModules } from "../../../sdk/job_thread";

/** The first of `transforms` whose payload names a job-thread module, and that module; undefined when none does. */
export function jobThreadStep(components: runnerApi.Components, transforms: Iterable<string>): { step: string; module: string } | undefined {
  const modules = [...jobThreadModules()];
  if (modules.length === 0) return undefined;
  for (const id of transforms) {
    const transform = components.transforms[id];
    const payload = transform?.spec?.payload;
    if (payload === undefined || payload.length === 0) continue;
    const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("latin1");
    const module = modules.find((name) => text.includes(`beam:${name}.`));
    if (module !== undefined) return { step: transform.uniqueName, module };
  }
  return undefined;
}

/** Throws, naming the step and the module, when a step must run on the job's thread: for executors that run every step elsewhere. */
export function refuseJobThreadSteps(components: runnerApi.Components, transforms: Iterable<string>, where: string): void {
  const found = jobThreadStep(components, transforms);
  if (found === undefined) return;
  throw new Error(
    `step '${found.step}' calls module ${found.module}, whose state lives on the job's thread (runsOnJobThread), ` +
      `so it cannot run ${where}: run the job with environment "in_process"`,
  );
}
