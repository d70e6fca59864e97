/** Task functions for `pool.test.ts`, run in the pool's threads. */
import { threadId } from "worker_threads";
import { transferring } from "../../threads/transfer";

/** The thread's id after `ms` of work, so that two tasks overlap in time. */
export async function threadOf(ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return threadId;
}

/** `length` bytes counting up from 0, moved to the main thread, not copied. */
export function countingBytes(length: number): { bytes: Uint8Array } {
  const bytes = Uint8Array.from({ length }, (_, i) => i % 256);
  return transferring({ bytes }, [bytes.buffer as ArrayBuffer]);
}

/** Throws a named error. */
export function refuse(reason: string): never {
  throw new RangeError(`refused: ${reason}`);
}

/** Ends the thread with `code`, as a crash would. */
export function exitThread(code: number): void {
  process.exit(code);
}

/** Whether this thread's module resolutions hold where `request` is found (none of its own code asks for it). */
export function knowsWhereToFind(request: string): boolean {
  const resolved = (require("module") as { _pathCache: Record<string, string> })._pathCache;
  return Object.keys(resolved).some((key) => key.startsWith(`${request}\x00`));
}
