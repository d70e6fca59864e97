/** Faults of SDK worker processes, for the failure tests of environment "process" (registered, so workers call this module). */
import * as fs from "fs";
import { requireForSerialization } from "apache-beam/serialization";

/** Kills this process with SIGKILL the first time it is called with `marker` not yet existing (across processes). */
export function killOnce(marker: string): void {
  if (fs.existsSync(marker)) return;
  fs.writeFileSync(marker, String(process.pid));
  process.kill(process.pid, "SIGKILL");
}

/** Says so, then kills this process with SIGKILL, every time. */
export function killAlways(): void {
  console.error("about to die on purpose");
  process.kill(process.pid, "SIGKILL");
}

/**
 * Leaves a file named after this process in `markers` (so a test knows the DoFn has begun), then
 * keeps this thread busy for `ms`, its event loop blocked.
 */
export function blockTheEventLoop(markers: string, ms: number): void {
  fs.writeFileSync(`${markers}/${process.pid}`, "");
  const end = Date.now() + ms;
  while (Date.now() < end);
}

requireForSerialization("beam-ts-native/test/runner/worker_faults", exports);
