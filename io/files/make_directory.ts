/**
 * Creating local folders one level at a time. Node's `mkdir(…, { recursive: true })` loops forever
 * where a file system refuses a new entry with ENOENT although the parent exists (`/proc/x`,
 * `/sys/x`): it takes the ENOENT for a missing parent, finds the parent there, and tries again.
 * Level by level, that refusal is an error naming the folder.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * Creates `directory` and its missing parents (nothing if it exists); rejects naming the level that
 * could not be made. Resolves with the levels it created, outermost first.
 */
export async function makeDirectory(directory: string): Promise<string[]> {
  const missing: string[] = [];
  for (let at = path.resolve(directory); !(await exists(at)); at = path.dirname(at)) {
    missing.unshift(at);
    if (path.dirname(at) === at) break;
  }
  for (const level of missing) {
    await fs.promises.mkdir(level).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  }
  return missing;
}

/**
 * Makes sure files can be written in `directory`: creates it if missing, writes and removes a
 * hidden probe file, and removes again the folders it created (a run that writes nothing leaves
 * none). Rejects with the system's reason (EACCES, EROFS, ENOENT where folders cannot be made).
 */
export async function checkWritableDirectory(directory: string): Promise<void> {
  const created = await makeDirectory(directory);
  const probe = path.join(directory, `.write-check-${randomBytes(6).toString("hex")}`);
  try {
    await fs.promises.writeFile(probe, "");
    await fs.promises.rm(probe, { force: true });
  } finally {
    for (const level of created.reverse()) await fs.promises.rmdir(level).catch(() => undefined);
  }
}

async function exists(at: string): Promise<boolean> {
  return fs.promises.stat(at).then(
    () => true,
    () => false,
  );
}
