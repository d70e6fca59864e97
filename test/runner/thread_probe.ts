/** For the job-thread tests: which thread a step runs on (registered, and free to run on any thread). */
import { isMainThread } from "worker_threads";
import { requireForSerialization } from "apache-beam/serialization";

/** True when called on the job's (main) thread, false on a worker thread. */
export function onJobThread(): boolean {
  return isMainThread;
}

requireForSerialization("beam-ts-native/test/runner/thread_probe", exports);
