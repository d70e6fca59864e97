/**
 * A local output folder checked before a command makes anything: a file there, or a folder that
 * cannot be made or written in, would otherwise fail the run at its first write (or, under `/proc`,
 * hang it: see io/files/make_directory.ts) after minutes of work. A `gs://` output is not checked here.
 */
import * as fs from "fs";
import { checkWritableDirectory } from "../io/files/make_directory";
import { UsageError } from "./command_line";

/**
 * Creates `folder` if missing and makes sure files can be written in it; throws {@link UsageError}
 * naming `flag` (`--output=DIR`, `--out DIR`) otherwise. `holds` says what goes there, for the message.
 */
export async function checkOutputFolder(flag: string, folder: string, holds: string): Promise<void> {
  if (folder.startsWith("gs://")) return;
  if (fs.existsSync(folder) && !fs.statSync(folder).isDirectory()) throw new UsageError(`${flag} is a file: name a folder (created if missing) for ${holds}`);
  await checkWritableDirectory(folder).catch((error: Error) => {
    throw new UsageError(`${flag} cannot be written (${error.message}): name a folder you can write in`);
  });
}
