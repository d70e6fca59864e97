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

requireForSerialization("beam-ts-native/test/runner/worker_faults", exports);
