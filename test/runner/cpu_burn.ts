/**
 * For the worker-thread tests: a DoFn's work measured in CPU time, not elapsed time, so that a busy
 * machine (which deschedules the loop) does not make it cheaper. Registered by name.
 */
import { requireForSerialization } from "apache-beam/serialization";

/** Spins until this process has used `ms` more milliseconds of user CPU. */
export function burnCpu(ms: number): void {
  const end = process.cpuUsage().user + ms * 1000;
  while (process.cpuUsage().user < end);
}

requireForSerialization("beam-ts-native/test/runner/cpu_burn", exports);
