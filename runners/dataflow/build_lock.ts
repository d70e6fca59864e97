/**
 * One build of this checkout at a time. A build removes `dist/` and writes it anew: two submissions
 * started together (or two test files of a parallel suite) would otherwise delete each other's
 * files mid-build or pack a half-written `dist/`. The lock is a folder (`mkdir` either makes it or
 * finds it: atomic) holding the owner's pid; an owner that died, `kill -9` included, leaves a folder
 * whose pid is gone, and the next build takes it over. Waiting is bounded.
 */
import * as fs from "fs";
import * as path from "path";
import { DataflowFailure } from "./failure";

/** Longer than any build seen here (20–60 s on 2 busy cores), short enough that a stuck one is reported. */
const WAIT_MS = 5 * 60_000;
const POLL_MS = 100;
/** A lock folder still without a pid after this long lost its owner between `mkdir` and the write. */
const UNCLAIMED_MS = 10_000;

/** Runs `build` holding the lock folder `lock`, waiting at most `waitMs` (5 minutes) for another owner. */
export function withBuildLock<T>(lock: string, build: () => T, waitMs = WAIT_MS): T {
  const deadline = Date.now() + waitMs;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  while (!tryTake(lock)) {
    const owner = ownerOf(lock);
    if (owner === undefined ? unclaimedFor(lock) > UNCLAIMED_MS : !isAlive(owner)) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new DataflowFailure(`another build of this project (pid ${owner ?? "unknown"}) has held ${lock} for ${(waitMs / 1000).toFixed(1)} s; if no build is running, remove that folder`);
    }
    sleep(POLL_MS);
  }
  try {
    return build();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function tryTake(lock: string): boolean {
  try {
    fs.mkdirSync(lock);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
  return true;
}

/** The pid in the lock, or undefined while its owner has made the folder but not yet written it. */
function ownerOf(lock: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(lock, "pid"), "utf8"));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function unclaimedFor(lock: string): number {
  try {
    return Date.now() - fs.statSync(lock).mtimeMs;
  } catch {
    return 0;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The build runs synchronously (`spawnSync`), so its wait is a blocking sleep too. */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
