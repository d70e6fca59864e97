/**
 * Reading text files line by line, streamed: a file is never held in memory whole, and reading
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
import * as beam from "apache-beam";
import * as operators from "apache-beam/worker/operators";
import { requireForSerialization } from "apache-beam/serialization";
import type { TextLine } from "../../transforms/text_line";
import { fileSource, FileSourceOperator } from "./file_source";
import { gcsError, gcsReadStream, isGcsUri, type GcsOptions } from "./gcs";

/** URN of the primitive that reads the files named in its payload, once per incoming impulse. */
export const READ_TEXT_LINES_URN = "beam-ts-native:transform:read_text_lines:v1";

const CHUNK_BYTES = 1 << 20;

/** Settings of {@link readTextLines}. */
export interface ReadTextLinesOptions {
  /** How to reach GCS for `gs://` inputs (default: the real service, ambient credentials). */
  gcs?: GcsOptions;
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
  return fileSource<TextLine>("readTextLines", READ_TEXT_LINES_URN, patterns, options.gcs);
}

/**
 * Calls `onLines` with the lines of one file (a local path or a `gs://` URI), a chunk at a time,
 * awaiting it when it returns a promise (backpressure). A final line without a newline is kept; a
 * `\r` before the newline is not. UTF-8 characters split across chunks are decoded whole.
 */
export async function forEachLineChunk(
  file: string,
  onLines: (lines: TextLine[]) => void | Promise<void>,
  gcs: GcsOptions = {},
): Promise<void> {
  const stream = isGcsUri(file) ? gcsReadStream(file, gcs) : fs.createReadStream(file, { highWaterMark: CHUNK_BYTES });
  stream.setEncoding("utf8");
  let carry = "";
  let lineNumber = 0;
  try {
    for await (const chunk of stream) {
      const text = carry + (chunk as string);
      const lines: TextLine[] = [];
      let start = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        lines.push({ line: text.slice(start, end), file, lineNumber: ++lineNumber });
        start = nl + 1;
      }
      carry = text.slice(start);
      const pending = onLines(lines);
      if (pending !== undefined) await pending;
    }
  } catch (error) {
    // Failures downstream pass through untouched; only the stream's own errors get the file's name.
    if (stream.errored === null) throw error;
    throw isGcsUri(file) ? gcsError(file, "reading", error) : new Error(`reading '${file}' failed: ${(error as Error).message}`, { cause: error });
  } finally {
    stream.destroy();
  }
  if (carry.length > 0) {
    const pending = onLines([{ line: carry.endsWith("\r") ? carry.slice(0, -1) : carry, file, lineNumber: ++lineNumber }]);
    if (pending !== undefined) await pending;
  }
}

/** The reader as an SDK operator. */
export class ReadTextLinesOperator extends FileSourceOperator<TextLine> {
  protected readFile(file: string, onLines: (lines: TextLine[]) => void | Promise<void>, gcs: GcsOptions): Promise<void> {
    return forEachLineChunk(file, onLines, gcs);
  }
}

operators.registerOperator(READ_TEXT_LINES_URN, ReadTextLinesOperator);
requireForSerialization("beam-ts-native/io/files/text_files", exports);
