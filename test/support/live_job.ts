/**
 * Steering a live job from a test: waiting (bounded) for what it has done, draining it once it has
 * read everything, and making sure a job the test gave up on does not outlive the test.
 */
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import type { DirectPipelineResult } from "../../runners/direct";

/** Polls `condition` every 50 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(what: string, timeoutMs: number, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What `promise` settles to, or `ifLate` once `timeoutMs` have passed; the timer never outlives the wait. */
export async function within<T, L>(promise: Promise<T>, timeoutMs: number, ifLate: L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<L>((resolve) => (timer = setTimeout(() => resolve(ifLate), timeoutMs)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits (at most `timeoutMs`) until the job has read `published` messages, then drains it; its final state. */
export async function drainOnceAllRead(result: DirectPipelineResult, published: number, timeoutMs: number): Promise<JobState_Enum> {
  await until("every published message is read", timeoutMs, () => result.progress().sourceElements >= published);
  result.drain("every published message was read");
  return result.waitUntilFinish(30_000);
}

/**
 * A job still running (state undefined or RUNNING) is one the test gave up on: cancels it, saying
 * `why`, or it would keep the process alive. Returns the job's final state.
 */
export async function stopIfStillRunning(result: DirectPipelineResult | undefined, state: JobState_Enum | undefined, why: string): Promise<JobState_Enum | undefined> {
  if (result === undefined || (state !== undefined && state !== JobState_Enum.RUNNING)) return state;
  result.cancel(why);
  return result.waitUntilFinish(10_000);
}
