/**
 * The CPU time this virtual machine's hypervisor gave to others while our vCPUs wanted to run
 * (`steal` in /proc/stat, every CPU summed): on a shared host it is the part of a run's time no code
 * of ours decides. A bench reads it at its start and end and reports the seconds between.
 */
import * as fs from "fs";

/** Clock ticks per second of /proc/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** Seconds of steal since boot, every CPU summed, or undefined where /proc/stat has no steal column. */
export function stealSeconds(): number | undefined {
  try {
    const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/);
    const steal = Number(cpu[8]);
    return cpu[0] === "cpu" && Number.isFinite(steal) ? steal / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** Steal seconds since `since` (a {@link stealSeconds} reading), rounded to 0.01; null when unknown. */
export function stealSince(since: number | undefined): number | null {
  const now = stealSeconds();
  return since === undefined || now === undefined ? null : Math.round((now - since) * 100) / 100;
}
