/**
 * For the job-thread tests: a recording the test reads on its own thread, declared `runsOnJobThread`
 * so that the steps calling it run there, and the thread each call ran on.
 */
import { isMainThread } from "worker_threads";
import { requireForSerialization } from "apache-beam/serialization";
import { runsOnJobThread } from "../../sdk/job_thread";

const recorded: { value: unknown; onJobThread: boolean }[] = [];

/** Records `value`, and whether this call runs on the job's (main) thread. */
export function record(value: unknown): void {
  recorded.push({ value, onJobThread: isMainThread });
}

/** Everything recorded so far, emptied. */
export function takeRecorded(): { value: unknown; onJobThread: boolean }[] {
  return recorded.splice(0);
}

requireForSerialization("beam-ts-native/test/runner/job_thread_recording", exports);
runsOnJobThread("beam-ts-native/test/runner/job_thread_recording");
