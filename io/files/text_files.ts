/**
 * Reading text files line by line, streamed (`.gz` files decompressed as read; lines checked, see
 * ./checked_lines.ts): a file is never held in memory whole, and reading
 * pauses while the steps downstream apply backpressure. Each line becomes a {@link TextLine}
 * (text, file, 1-based line number) so parsers can tell headers from records and dead letters can
 * say where they came from.
 *
 * Inputs are local paths, `gs://bucket/object` URIs, or either with `*` / `?` in the last segment
 * (`data/*.csv`, `gs://bucket/exports/part-*`). Local patterns are expanded when the pipeline is
 * built, so a typo fails at once; `gs://` patterns where the reader runs, so credentials are
 * needed only there (on Dataflow, the workers'), and objects added in between are read.
 *
 * The reader is an operator of our own URN, registered with the SDK's worker, so the SDK's runners
 * (and Dataflow's TypeScript worker) run it as well as ours.
 */
import * as fs from "fs";
import * as zlib from "zlib";
import * as beam from "apache-beam";
import * as operators from "apache-beam/worker/operators";
import { requireForSerialization } from "apache-beam/serialization";
import type { TextLine } from "../../transforms/text_line";
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from "./checked_lines";
import { fileSource, FileSourceOperator } from "./file_source";
import { gcsError, gcsReadStream, isGcsUri, type GcsOptions } from "./gcs";
import { wholeFile, type FileSplit } from "./file_splits";
import { startsLikeGzip } from "./input_format";
import { CHUNK_BYTES, localChunks, readFailure } from "./local_chunks";

/** URN of the primitive that reads the files named in its payload, once per incoming impulse. */
export const READ_TEXT_LINES_URN = "beam-ts-native:transform:read_text_lines:v1";

/**
 * Bytes handed to the line splitter at a time. Its lines are cut from one string of at most this
 * many bytes, an ordinary object of V8's young generation, and about 500 lines are in flight through
 * the stage at once. A string of a whole 1 MiB chunk is a large object instead: alive whenever a
 * scavenge comes while its 8 000 lines flow through the stage's steps and writes, it was promoted and
 * waited for a full collection: tens of MB per thread, every thread reading (local files are read
 * into reused buffers, ./local_chunks.ts).
 */
const PIECE_BYTES = 64 << 10;

/** Settings of {@link readTextLines}. */
export interface ReadTextLinesOptions {
  /** How to reach GCS for `gs://` inputs (default: the real service, ambient credentials). */
  gcs?: GcsOptions;
  /**
   * The longest line, in bytes (default {@link DEFAULT_MAX_LINE_BYTES}, 10 MiB). A longer line is
   * delivered with a `refusal` (so the parsers dead-letter it, its first KiB kept), its bytes past
   * the limit skipped as they are read: a file's memory is bounded by about twice the limit.
   */
  maxLineBytes?: number;
}

/**
 * Every line of the files the patterns name, file after file in the order given (a pattern's
 * matches in name order), as {@link TextLine}s. Fails at construction, naming the pattern, when a
 * local pattern matches nothing; at run time when a `gs://` one does.
 */
export function readTextLines(
  patterns: string | readonly string[],
  options: ReadTextLinesOptions = {},
): beam.PTransform<beam.Root, beam.PCollection<TextLine>> {
  const { maxLineBytes } = options;
  if (maxLineBytes !== undefined && !(Number.isInteger(maxLineBytes) && maxLineBytes > 0)) {
    throw new RangeError(`readTextLines: maxLineBytes must be a positive whole number of bytes, got ${maxLineBytes}`);
  }
  return fileSource<TextLine>("readTextLines", READ_TEXT_LINES_URN, patterns, options.gcs, true, maxLineBytes);
}

/** Settings of {@link forEachLineChunk}. */
export interface LineChunkOptions {
  /** How to reach GCS for a `gs://` file. */
  gcs?: GcsOptions;
  /** The part of the file to read (default: all of it). */
  split?: FileSplit;
  /** A longer line is delivered with a `refusal`, its bytes past the limit skipped (default 10 MiB). */
  maxLineBytes?: number;
}

/**
 * Calls `onLines` with the lines of one file (a local path or a `gs://` URI), a chunk at a time,
 * awaiting it when it returns a promise (backpressure). Lines are checked as they are split
 * (./checked_lines.ts: not UTF-8, NUL bytes, longer than `maxLineBytes` — delivered with a
 * `refusal`). A file named `.gz` is decompressed as it is read; a gzip file named otherwise fails,
 * naming it, rather than pass its compressed bytes off as lines.
 */
export async function forEachLineChunk(
  file: string,
  onLines: (lines: TextLine[]) => void | Promise<void>,
  options: LineChunkOptions = {},
): Promise<void> {
  const { gcs = {}, split = wholeFile(file), maxLineBytes = DEFAULT_MAX_LINE_BYTES } = options;
  if (split.end <= split.start) return;
  const gzipped = file.endsWith(".gz");
  const splitter = new LineSplitter(file, maxLineBytes, split.firstLine);
  // Only a file's own first bytes can be gzip's magic number (compressed files are one split).
  let first = split.start === 0;
  const chunks = isGcsUri(file) || gzipped ? streamedChunks(file, gcs, split, gzipped) : localChunks(file, split.start, split.end);
  for await (const bytes of chunks) {
    if (first && !gzipped && startsLikeGzip(bytes)) {
      throw new Error(`'${file}' is gzip-compressed: name it with a .gz suffix to read it decompressed`);
    }
    first = false;
    for (let at = 0; at < bytes.length; at += PIECE_BYTES) {
      const pending = onLines(splitter.push(bytes.subarray(at, at + PIECE_BYTES)));
      if (pending !== undefined) await pending;
    }
  }
  const last = splitter.end();
  if (last.length > 0) {
    const pending = onLines(last);
    if (pending !== undefined) await pending;
  }
}

/** The bytes of a `gs://` object's split or of a `.gz` file, as its stream gives them. Fails naming the file. */
async function* streamedChunks(file: string, gcs: GcsOptions, split: FileSplit, gzipped: boolean): AsyncGenerator<Buffer> {
  // A split is read from its first record start to the next split's (a ranged request on GCS).
  const range = split.end === Infinity ? { start: split.start } : { start: split.start, end: split.end - 1 };
  const raw = isGcsUri(file) ? gcsReadStream(file, gcs, split.start === 0 && split.end === Infinity ? undefined : range) : fs.createReadStream(file, { highWaterMark: CHUNK_BYTES, ...range });
  const stream = gzipped ? raw.pipe(zlib.createGunzip({ chunkSize: CHUNK_BYTES })) : raw;
  if (gzipped) raw.on("error", (error: Error) => stream.destroy(error));
  const chunks = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (error) {
        throw isGcsUri(file) ? gcsError(file, "reading", error) : readFailure(file, error as Error);
      }
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    stream.destroy();
    raw.destroy();
  }
}

/** The reader as an SDK operator. */
export class ReadTextLinesOperator extends FileSourceOperator<TextLine> {
  protected readFile(file: string, onLines: (lines: TextLine[]) => void | Promise<void>, gcs: GcsOptions, split: FileSplit): Promise<void> {
    return forEachLineChunk(file, onLines, { gcs, split, maxLineBytes: this.payload.maxLineBytes });
  }
}

operators.registerOperator(READ_TEXT_LINES_URN, ReadTextLinesOperator);
requireForSerialization("beam-ts-native/io/files/text_files", exports);
