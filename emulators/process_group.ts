/**
 * Child processes that lead their own process group, with output appended to a log file, and that
 * die with everything they started. The Pub/Sub emulator is a shell script that runs Java: killing
 * only the script's pid could leave the JVM behind, so we start each child with `detached: true`
 * (a new process group) and signal the whole group.
 *
 * Stopping is SIGTERM, then SIGKILL after a bound. Every group still alive when this process goes
 * away is killed too:
 * - on `exit` (normal end, `process.exit`, an uncaught error), with SIGKILL, the only thing an exit
 *   handler can do synchronously; the emulators keep their data in memory, so nothing is lost;
 * - on SIGINT / SIGTERM when no one else listens for that signal: we stop the groups, then re-raise
 *   the signal so the process still dies of it. When someone else listens (a CLI that stops its
 *   emulators itself, a runner draining a pipeline that may still be writing to them), the process's
 *   shutdown is theirs, and the exit handler remains the backstop;
 * - when this process is killed outright (SIGKILL, the OOM killer), no handler runs: the watchdog
 *   (watchdog.ts), a separate process that sees our end as the end of a pipe, stops the groups.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import { unwatchGroup, watchGroup } from "./watchdog";

/** How long a group gets to exit after SIGTERM before SIGKILL, and after SIGKILL before we give up. */
const TERM_GRACE_MS = 5_000;
const KILL_GRACE_MS = 2_000;
const POLL_MS = 25;
const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

/** A running child leading its own process group. */
export interface OwnedProcess {
  /** Its pid, which is also its process-group id. */
  readonly pid: number;
  /** Resolves when the child has exited, with its exit code or signal. */
  readonly exited: Promise<string>;
  /** Whether the child has exited (its group may still hold processes it started). */
  hasExited(): boolean;
  /** Stops the whole group (SIGTERM, then SIGKILL); idempotent; rejects if the group outlives both. */
  stop(): Promise<void>;
}

const owned = new Set<OwnedProcess>();

/** Starts `command` in a new process group (with `env` added to ours), stdout and stderr appended to `logFile`. */
export async function spawnProcessGroup(command: string, args: readonly string[], logFile: string, env: Record<string, string> = {}): Promise<OwnedProcess> {
  const log = fs.openSync(logFile, "a");
  let child: ChildProcess;
  try {
    // The child writes to the file itself: no pipe for us to drain, and its log survives us.
    child = spawn(command, args, { detached: true, stdio: ["ignore", log, log], env: { ...process.env, ...env } });
  } finally {
    fs.closeSync(log);
  }
  let exitedWith: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => {
      exitedWith = signal ?? `exit code ${code}`;
      resolve(exitedWith);
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    // Kept for the child's life: an 'error' event without a listener would crash this process.
    child.on("error", (error) => reject(new Error(`cannot start ${command}: ${error.message}`)));
  });
  const pid = child.pid!;
  let stopping: Promise<void> | undefined;
  const handle: OwnedProcess = {
    pid,
    exited,
    hasExited: () => exitedWith !== undefined,
    stop: () => {
      stopping ??= stopGroup(pid, exited).finally(() => disown(handle));
      return stopping;
    },
  };
  own(handle);
  return handle;
}

/** A process of a group, as /proc shows it. */
export interface GroupProcess {
  pid: number;
  /** Its state letter: R, S, D… and Z for a zombie (dead, not yet reaped). */
  state: string;
  /** CPU time used (user + system), in clock ticks (USER_HZ, 100 a second). */
  cpuTicks: number;
}

/** The processes of group `pgid`, read from /proc; undefined where there is no /proc (not Linux). */
export function processesOfGroup(pgid: number): GroupProcess[] | undefined {
  let pids: string[];
  try {
    pids = fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const members: GroupProcess[] = [];
  for (const pid of pids) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp … utime(14th) stime(15th)"; comm may hold spaces and parentheses,
    // so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid) members.push({ pid: Number(pid), state: fields[0], cpuTicks: Number(fields[11]) + Number(fields[12]) });
  }
  return members;
}

/**
 * Whether any process of group `pgid` is alive. A killed process whose parent was the killed leader
 * stays a zombie until init reaps it (up to a second on some machines); it holds nothing, so on Linux
 * we read /proc and count only the living. Elsewhere, signal 0 to the group answers.
 */
export function groupAlive(pgid: number): boolean {
  const members = processesOfGroup(pgid);
  if (members === undefined) return signalGroup(pgid, 0);
  return members.some((member) => member.state !== "Z");
}

async function stopGroup(pgid: number, leaderExited: Promise<string>): Promise<void> {
  signalGroup(pgid, "SIGTERM");
  if (await groupGoneWithin(pgid, leaderExited, TERM_GRACE_MS)) return;
  signalGroup(pgid, "SIGKILL");
  if (await groupGoneWithin(pgid, leaderExited, KILL_GRACE_MS)) return;
  throw new Error(`process group ${pgid} is still alive ${TERM_GRACE_MS + KILL_GRACE_MS} ms after SIGTERM and SIGKILL`);
}

/** Sends `signal` to every process of group `pgid`; false if the group has none left. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

/**
 * Whether the leader has exited (and been reaped, so its pid no longer counts) and no process is left
 * in its group, within `ms`. Polls: a group has no exit event.
 */
async function groupGoneWithin(pgid: number, leaderExited: Promise<string>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  let leaderDone = false;
  void leaderExited.then(() => (leaderDone = true));
  while (Date.now() < deadline) {
    if (leaderDone && !groupAlive(pgid)) return true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return leaderDone && !groupAlive(pgid);
}

function own(p: OwnedProcess): void {
  if (owned.size === 0) {
    process.on("exit", killAllNow);
    for (const signal of SIGNALS) process.on(signal, onSignal);
  }
  owned.add(p);
  watchGroup(p.pid);
}

function disown(p: OwnedProcess): void {
  if (!owned.delete(p)) return;
  unwatchGroup(p.pid);
  if (owned.size > 0) return;
  process.removeListener("exit", killAllNow);
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
}

function killAllNow(): void {
  for (const p of owned) signalGroup(p.pid, "SIGKILL");
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  void Promise.allSettled([...owned].map((p) => p.stop())).then(() => {
    // Stopping the last group removed our listeners: the re-raised signal gets its default action.
    process.kill(process.pid, signal);
  });
}
