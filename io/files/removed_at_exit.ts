/**
 * Local folders of a run's temp files, removed when the process exits, however it exits (done,
 * failed, cancelled, `process.exit` after Ctrl-C). Only files no one will read go here: a file
 * sink's temp files count for nothing until they are finalized, and acknowledgement waits for that
 * (a message is acknowledged only once the shards it reached are final). A kill -9 still leaves
 * them, as the sinks say.
 */
import * as fs from "fs";

const folders = new Set<string>();

/** Removes `folder` (and all in it) when the process exits. */
export function removeAtExit(folder: string): void {
  if (folders.size === 0) process.once("exit", removeAll);
  folders.add(folder);
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
