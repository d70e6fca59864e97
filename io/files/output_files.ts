/**
 * Where a file sink's bytes go, local or `gs://`, behind one small interface: an output file
 * written as a stream of appends, then moved, concatenated or deleted by name. Local outputs are
 * flushed to disk (`fsync`) before they count as written; GCS objects exist only once their upload
 * completes.
 */
import { randomBytes } from "crypto";
import { once } from "events";
import * as fs from "fs";
import * as path from "path";
import type { Writable } from "stream";
import { deleteGcsObject, gcsClient, gcsError, gcsReadStream, gcsWriteStream, isGcsUri, moveGcsObject, parseGcsUri, type GcsOptions } from "./gcs";
import { makeDirectory } from "./make_directory";
import { noteCreation } from "./removed_at_exit";
import { localChunks } from "./local_chunks";

/** A file being written. */
export interface OutputFile {
  /**
   * Appends `data` (text as UTF-8). Calls may overlap: the bytes land in the order of the calls.
   * Text is best passed as is: a local file writes it without making a Buffer of it (see
   * {@link LocalOutputFile.append}).
   */
  append(data: Uint8Array | string): Promise<void>;
  /** Makes everything appended durable (local: on disk; GCS: the upload completed) and closes. */
  close(): Promise<void>;
  /**
   * Gives the file up after a failure without making anything durable, and never throws: a GCS
   * upload is cancelled (a local file holds nothing between calls). What was appended is not to be
   * used.
   */
  abandon(): Promise<void>;
}

/** Starts writing `uri` (a local path, whose directory is created, or a `gs://` URI); replaces it. */
export function createOutputFile(uri: string, gcs: GcsOptions): OutputFile {
  return isGcsUri(uri) ? new GcsOutputFile(uri, gcs) : new LocalOutputFile(uri);
}

/** Starts writing the local file `file` (its directory created), kept open for appends, syncs and cuts. */
export function createLocalOutputFile(file: string): LocalOutputFile {
  return new LocalOutputFile(file);
}

/**
 * Cuts the local file `into` back to its first `keptBytes`, appends the local files `sources` to it,
 * each without its first `skipBytes` (their repeated header), and makes it durable: a concatenation
 * that copies only the sources' bytes, not `into`'s. Run again after a failure half way, it makes
 * the same file.
 */
export async function appendLocalOutputs(into: string, keptBytes: number, sources: readonly string[], skipBytes: number): Promise<void> {
  const handle = await fs.promises.open(into, "r+");
  try {
    await handle.truncate(keptBytes);
    let at = keptBytes;
    for (const source of sources) {
      for await (const chunk of localChunks(source, skipBytes, Infinity)) {
        for (let written = 0; written < chunk.length; ) written += (await handle.write(chunk, written, chunk.length - written, at + written)).bytesWritten;
        at += chunk.length;
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Renames `from` to `to` (replacing it): atomic for local files of one file system. */
export async function moveOutput(from: string, to: string, gcs: GcsOptions): Promise<void> {
  if (isGcsUri(from)) return moveGcsObject(from, to, gcs);
  await fs.promises.rename(from, to);
}

/** Deletes `uri`; one already gone is not an error. */
export async function deleteOutput(uri: string, gcs: GcsOptions): Promise<void> {
  if (isGcsUri(uri)) return deleteGcsObject(uri, gcs);
  await fs.promises.rm(uri, { force: true });
}

/** True when the file or object exists. */
export async function outputExists(uri: string, gcs: GcsOptions): Promise<boolean> {
  if (!isGcsUri(uri)) return fs.existsSync(uri);
  const { bucket, name } = parseGcsUri(uri);
  const [exists] = await gcsClient(gcs).bucket(bucket).file(name).exists();
  return exists;
}

/**
 * Writes `sources` one after the other into `to`, leaving out the first `skipBytes` of every source
 * but the first (their repeated header), streamed. `to` appears whole or not at all: a local one is
 * written beside it under a hidden name and renamed; a GCS one is a single upload.
 */
export async function concatenateOutputs(sources: readonly string[], to: string, skipBytes: number, gcs: GcsOptions): Promise<void> {
  const staging = isGcsUri(to) ? to : path.join(path.dirname(to), `.${path.basename(to)}.${randomBytes(6).toString("hex")}`);
  const out = createOutputFile(staging, gcs);
  try {
    for (let i = 0; i < sources.length; i++) {
      let skip = i === 0 ? 0 : skipBytes;
      // Local into local: read into reused buffers, each chunk written before the next is asked for.
      if (!isGcsUri(sources[i]) && !isGcsUri(staging)) {
        for await (const chunk of localChunks(sources[i], skip, Infinity)) await out.append(chunk);
        continue;
      }
      const input = isGcsUri(sources[i]) ? gcsReadStream(sources[i], gcs) : fs.createReadStream(sources[i], { highWaterMark: 1 << 20 });
      try {
        for await (const chunk of input) {
          const bytes = chunk as Buffer;
          const kept = skip >= bytes.length ? undefined : bytes.subarray(skip);
          skip = Math.max(0, skip - bytes.length);
          if (kept !== undefined) await out.append(kept);
        }
      } catch (error) {
        throw isGcsUri(sources[i]) ? gcsError(sources[i], "reading", error) : error;
      }
    }
    await out.close();
  } catch (error) {
    await out.abandon();
    if (staging !== to) await fs.promises.rm(staging, { force: true });
    throw error;
  }
  if (staging !== to) await fs.promises.rename(staging, to);
}

/** How long a local output file keeps its handle with no call using it. */
const IDLE_HANDLE_MS = 1_000;

/**
 * A local file written at explicit positions, so overlapping appends never interleave. Its handle is
 * closed by {@link close} and {@link abandon}, and also once no call has used it for a second: a
 * bundle cut off half way (a failure elsewhere in its stage, a cancelled job) never closes its
 * files, and a handle left to the garbage collector is closed at an unknown time, with Node's DEP0137
 * warning. A later append opens the file again. (Opening it for every append instead cost a third
 * more elapsed time in the batch ETL: three round trips to the file system per write, not one.)
 */
/**
 * Opens `file` for writing, making its folder first. The folder may be removed between the two: a
 * text sink's finalizer removes its temp folder once it is empty, while the finalizer of another
 * shard is about to write that shard's empty file there. Then it is made again (a few times at most).
 */
async function openMakingFolder(file: string): Promise<fs.promises.FileHandle> {
  for (let attempt = 1; ; attempt++) {
    await makeDirectory(path.dirname(file));
    try {
      return await fs.promises.open(file, "w");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || attempt === OPEN_ATTEMPTS) throw error;
    }
  }
}
const OPEN_ATTEMPTS = 3;

export class LocalOutputFile implements OutputFile {
  private handle: Promise<fs.promises.FileHandle> | undefined;
  private readonly created: Promise<unknown>;
  private position = 0;
  private inUse = 0;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly file: string) {
    this.handle = openMakingFolder(file);
    this.created = this.handle;
    noteCreation(this.created);
  }

  /**
   * Text is written as a string: Node copies it into memory of its own, freed when the write ends. A
   * Buffer made of it here would be freed only by a garbage collection, and one in flight when a
   * scavenge comes is promoted: the batch ETL's rows piled up tens of MB of them per thread between
   * full collections.
   */
  async append(data: Uint8Array | string): Promise<void> {
    const length = typeof data === "string" ? Buffer.byteLength(data) : data.length;
    // The range is taken before the first await, so it follows the order of the calls.
    const at = this.position;
    this.position += length;
    await this.withHandle(async (handle) => {
      let written = typeof data === "string" ? (await handle.write(data, at, "utf8")).bytesWritten : 0;
      // A short write (rare for a file) goes on from where it stopped, as bytes.
      const bytes = written < length ? (typeof data === "string" ? Buffer.from(data) : data) : undefined;
      while (bytes !== undefined && written < length) {
        const { bytesWritten } = await handle.write(bytes, written, length - written, at + written);
        written += bytesWritten;
      }
    });
  }

  /** Bytes appended so far (landed or in flight). */
  get size(): number {
    return this.position;
  }

  /** Makes everything appended so far durable; the file stays open for more. */
  async sync(): Promise<void> {
    await this.withHandle((handle) => handle.sync());
  }

  /** Gives up what was appended after the first `bytes`; no append may be in flight. */
  async truncate(bytes: number): Promise<void> {
    await this.withHandle((handle) => handle.truncate(bytes));
    this.position = bytes;
  }

  async close(): Promise<void> {
    try {
      await this.withHandle((handle) => handle.sync());
    } finally {
      await this.release();
    }
  }

  async abandon(): Promise<void> {
    await this.created.catch(() => undefined);
    await this.release();
  }

  private async withHandle(use: (handle: fs.promises.FileHandle) => Promise<void>): Promise<void> {
    this.inUse++;
    try {
      await use(await (this.handle ??= this.created.then(() => fs.promises.open(this.file, "r+"))));
    } finally {
      this.inUse--;
      if (this.inUse === 0) this.releaseWhenIdle();
    }
  }

  /** Closes the handle after {@link IDLE_HANDLE_MS} with no call using it (the timer keeps no process alive). */
  private releaseWhenIdle(): void {
    if (this.idle !== undefined) {
      this.idle.refresh();
      return;
    }
    this.idle = setTimeout(() => {
      this.idle = undefined;
      if (this.inUse === 0) void this.release();
    }, IDLE_HANDLE_MS);
    this.idle.unref();
  }

  /** Closes the handle if one is open; never throws (a handle that failed to open holds nothing). */
  private async release(): Promise<void> {
    clearTimeout(this.idle);
    this.idle = undefined;
    const handle = this.handle;
    this.handle = undefined;
    const opened = await handle?.catch(() => undefined);
    await opened?.close().catch(() => undefined);
  }
}

/** A GCS object written through one streamed upload. */
class GcsOutputFile implements OutputFile {
  private readonly stream: Writable;
  private failure: Error | undefined;

  constructor(private readonly uri: string, gcs: GcsOptions) {
    this.stream = gcsWriteStream(uri, gcs);
    // Kept, not thrown: an 'error' without a listener would bring the process down.
    this.stream.on("error", (error: Error) => (this.failure ??= gcsError(uri, "writing", error)));
  }

  async append(data: Uint8Array | string): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (!this.stream.write(data)) await this.settled("drain");
  }

  async close(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.stream.end();
    await this.settled("finish");
  }

  async abandon(): Promise<void> {
    this.stream.destroy();
  }

  /** Waits for `event`, or throws the stream's failure if it fails first. */
  private async settled(event: "drain" | "finish"): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    try {
      await once(this.stream, event);
    } catch (error) {
      throw this.failure ?? gcsError(this.uri, "writing", error);
    }
  }
}
