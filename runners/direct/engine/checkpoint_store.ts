/**
 * Where a job's checkpoints live: one JSON file in a directory of the job's own, replaced atomically
 * (written beside, flushed to disk, renamed over, the directory flushed) so that a crash at any
 * moment leaves the previous checkpoint or the new one, never a torn one.
 */
import * as fs from "fs";
import * as path from "path";
import type { PaneState } from "./grouping";

/** What a checkpoint holds. */
export interface Checkpoint {
  version: 1;
  /** The panes of every checkpointed grouping, by stage id. */
  groupings: Record<string, PaneState[]>;
  /** What each source asked to get back after a restart (StreamSource.checkpoint), by stage name. */
  sources: Record<string, unknown>;
}

const FILE = "checkpoint.json";

export class CheckpointStore {
  constructor(
    /** The directory (created if missing). */
    readonly dir: string,
  ) {}

  /** The last checkpoint saved, or undefined when there is none. Throws, naming the file, on one it cannot read. */
  load(): Checkpoint | undefined {
    const file = path.join(this.dir, FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const checkpoint = JSON.parse(text) as Checkpoint;
    if (checkpoint.version !== 1) throw new Error(`checkpoint ${file}: version ${String(checkpoint.version)} is not one this runner reads (1)`);
    return checkpoint;
  }

  /** Replaces the checkpoint with `checkpoint`; resolves once it is on disk. */
  async save(checkpoint: Checkpoint): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    const file = path.join(this.dir, FILE);
    const next = `${file}.next`;
    const handle = await fs.promises.open(next, "w");
    try {
      await handle.writeFile(JSON.stringify(checkpoint));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(next, file);
    const dir = await fs.promises.open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
