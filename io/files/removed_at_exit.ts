/**
 * Local folders of a run's temp files, removed when the process exits, however it exits (done,
 * failed, cancelled, `process.exit` after Ctrl-C). Only files no one will read go here: a file
 * sink's temp files count for nothing until they are finalized, and acknowledgement waits for that
 * (a message is acknowledged only once the shards it reached are final). A kill -9 still leaves
 * them, as the sinks say.
 *
 * The removal runs in the exit handler, after the last of this thread's JavaScript: a file whose
 * creation was already in flight (its folder made first, then the file) could still land after
 * it and outlive the process. So a command about to exit waits for {@link creationsSettled} first,
 * having stopped its worker threads (whose requests end with them: threads/project_thread.ts).
 */
import * as fs from "fs";

const folders = new Set<string>();
/** Creations of local files, their folders first, started by this thread and not yet settled. */
const creating = new Set<Promise<unknown>>();

/** Removes `folder` (and all in it) when the process exits. */
export function removeAtExit(folder: string): void {
  if (folders.size === 0) process.once("exit", removeAll);
  folders.add(folder);
}

/** Notes the creation of a local file (folders, then the file) until it settles: see {@link creationsSettled}. */
export function noteCreation(creation: Promise<unknown>): void {
  creating.add(creation);
  const settled = () => creating.delete(creation);
  creation.then(settled, settled);
}

/**
 * Resolves once no creation noted by this thread is in flight, or after `timeoutMs`. Called right
 * before `process.exit`, with nothing started in between, it lets the exit's removal come last.
 */
export async function creationsSettled(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (creating.size > 0 && Date.now() < deadline) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadline - Date.now()).unref()));
    await Promise.race([Promise.allSettled([...creating]), timedOut]);
    clearTimeout(timer);
  }
}

function removeAll(): void {
  for (const folder of folders) {
    try {
      // Worker threads may still add a file while it goes: retried, then given up (it is hidden and safe to delete).
      fs.rmSync(folder, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // Nothing to tell anyone at exit: the folder's name says it is temporary.
    }
  }
  folders.clear();
}
