/**
 * CPU time used by a process group (an emulator and its children, e.g. the JVM under the gcloud
 * wrapper script) and by this process: how a run's work splits between the emulators and us.
 * Linux only (it reads /proc); elsewhere `available` is false and groups read 0.
 */
import * as fs from "fs";
import { processesOfGroup } from "../emulators/process_group";

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

/** True where /proc can be read. */
export const available = fs.existsSync("/proc/self/stat");

/** CPU seconds (user + system) used so far by the live processes of process group `group`. */
export function groupCpuSeconds(group: number): number {
  const members = processesOfGroup(group) ?? [];
  return members.reduce((ticks, member) => ticks + member.cpuTicks, 0) / TICKS_PER_SECOND;
}

/** CPU seconds used so far by this process. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
