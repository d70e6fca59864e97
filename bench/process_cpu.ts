/**
 * CPU time used by a process group (an emulator and its children, e.g. the JVM under the gcloud
 * wrapper script), read from /proc: how a run's work splits between the emulators and our process.
 * Linux only; elsewhere it reads 0 and says so through `available`.
 */
import * as fs from "fs";

/** Clock ticks per second of /proc's utime/stime (USER_HZ: 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

/** True where /proc can be read. */
export const available = fs.existsSync("/proc/self/stat");

/** CPU seconds (user + system) used so far by the live processes of process group `group`. */
export function groupCpuSeconds(group: number): number {
  if (!available) return 0;
  let ticks = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone between the listing and the read
    }
    // Fields after the command name (which may hold spaces): state ppid pgrp … utime(12th) stime(13th).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === group) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds used so far by this process. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
