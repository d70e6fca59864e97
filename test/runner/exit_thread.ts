/**
 * For the worker-thread tests: ends the worker thread the calling DoFn runs on, as a crash would.
 * Registered by name, so the DoFn rebuilt on the worker calls it there; on the main thread it
 * refuses, so a mistake cannot end the test process.
 */
import { isMainThread } from "worker_threads";
import { requireForSerialization } from "apache-beam/serialization";

/** Exits this worker thread with `code`; throws on the main thread. */
export function exitWorkerThread(code: number): void {
  if (isMainThread) throw new Error("exitWorkerThread called on the main thread: the stage was expected on a worker");
  process.exit(code);
}

requireForSerialization("beam-ts-native/test/runner/exit_thread", exports);
