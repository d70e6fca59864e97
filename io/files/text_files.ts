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
import { impulse } from "apache-beam/transforms/internal";
import { GeneralObjectCoder } from "apache-beam/coders/js_coders";
import * as operators from "apache-beam/worker/operators";
import { requireForSerialization } from "apache-beam/serialization";
import type { PTransform as PTransformProto } from "apache-beam/proto/beam_runner_api";
import type { WindowedValue } from "apache-beam/values";
import type { Pipeline } from "apache-beam/internal/pipeline";
import type { TextLine } from "../../transforms/text_line";
import { emitAll } from "../emit";
import { expandLocalPattern } from "./file_patterns";
import { localFileSplits, wholeFile, type FileSplit } from "./file_splits";
import { reshuffle } from "apache-beam/transforms/utils";
import { expandGcsPattern, gcsError, gcsReadStream, isGcsUri, type GcsOptions } from "./gcs";

/** URN of the primitive that splits the files named in its payload, once per incoming impulse. */
export const SPLIT_TEXT_FILES_URN = "beam-ts-native:transform:split_text_files:v1";
/** URN of the primitive that reads the lines of each incoming {@link FileSplit}. */
export const READ_TEXT_SPLITS_URN = "beam-ts-native:transform:read_text_splits:v1";

const CHUNK_BYTES = 1 << 20;

/** Settings of {@link readTextLines}. */
export interface ReadTextLinesOptions {
  /** How to reach GCS for `gs://` inputs (default: the real service, ambient credentials). */
  gcs?: GcsOptions;
}

/** What the operator reads: local files already expanded, `gs://` patterns still to expand. */
interface ReadPayload {
  inputs: string[];
  gcs: GcsOptions;
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
  const given = typeof patterns === "string" ? [patterns] : [...patterns];
  if (given.length === 0) throw new Error("readTextLines: no input given");
  const inputs = given.flatMap((pattern) => {
    if (isGcsUri(pattern)) return [pattern];
    try {
      return expandLocalPattern(pattern);
    } catch (error) {
      throw new Error(`readTextLines: ${(error as Error).message}`);
    }
  });
  const payload = new TextEncoder().encode(JSON.stringify({ inputs, gcs: options.gcs ?? {} } satisfies ReadPayload));
  // Splits, reshuffled so that the read is a stage of its own whose bundles a runner spreads over its workers.
  return beam.withName(`readTextLines(${given.join(",")})`, (root: beam.Root) =>
    root
      .apply(impulse())
      .apply(primitive<Uint8Array, FileSplit>("splitFiles", SPLIT_TEXT_FILES_URN, payload))
      .apply(reshuffle())
      .apply(primitive<FileSplit, TextLine>("readLines", READ_TEXT_SPLITS_URN, payload)),
  );
}

/** A step of one of our URNs, run by the operator registered for it. */
function primitive<I, O>(name: string, urn: string, payload: Uint8Array): beam.PTransform<beam.PCollection<I>, beam.PCollection<O>> {
  return beam.withName(name, (input: beam.PCollection<I>, pipeline: Pipeline, transform: PTransformProto) => {
    transform.spec = { urn, payload };
    return pipeline.createPCollectionInternal<O>(new GeneralObjectCoder());
  });
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
  split: FileSplit = wholeFile(file),
): Promise<void> {
  const range = split.end === Infinity ? { start: split.start } : { start: split.start, end: split.end - 1 };
  if (split.end <= split.start) return;
  const stream = isGcsUri(file) ? gcsReadStream(file, gcs) : fs.createReadStream(file, { highWaterMark: CHUNK_BYTES, ...range });
  stream.setEncoding("utf8");
  let carry = "";
  let lineNumber = split.firstLine - 1;
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

/**
 * An operator of ours that runs one async read per input element and ends it (and surfaces its
 * failure) in its own finishBundle: the SDK's direct runner drops what its impulse's receivers
 * return, and every runner awaits finishBundle before finishing the steps downstream.
 */
abstract class ReadingOperator<I> implements operators.IOperator {
  protected readonly receiver: operators.Receiver;
  protected readonly payload: ReadPayload;
  private reading: Promise<void>[] = [];
  private failure: unknown = undefined;

  constructor(
    readonly transformId: string,
    transform: PTransformProto,
    context: operators.OperatorContext,
  ) {
    this.receiver = context.getReceiver(Object.values(transform.outputs)[0]);
    this.payload = JSON.parse(new TextDecoder().decode(transform.spec!.payload)) as ReadPayload;
  }

  async startBundle(): Promise<void> {
    this.reading = [];
    this.failure = undefined;
  }

  process(element: WindowedValue<unknown>): operators.ProcessResult {
    const reading = this.read(element as WindowedValue<I>);
    this.reading.push(reading.catch((error: unknown) => void (this.failure ??= error)));
    return reading;
  }

  async finishBundle(): Promise<void> {
    await Promise.all(this.reading);
    if (this.failure !== undefined) throw this.failure;
  }

  protected abstract read(element: WindowedValue<I>): Promise<void>;
}

/** Expands the patterns and splits every file (io/files/file_splits.ts). */
export class SplitTextFilesOperator extends ReadingOperator<unknown> {
  protected async read(impulseValue: WindowedValue<unknown>): Promise<void> {
    const { inputs, gcs } = this.payload;
    for (const input of inputs) {
      if (isGcsUri(input)) {
        const objects = await expandGcsPattern(input, gcs);
        const emitted = emitAll(this.receiver, impulseValue, objects.map(wholeFile));
        if (emitted) await emitted;
        continue;
      }
      const emitted = emitAll(this.receiver, impulseValue, await localFileSplits(input));
      if (emitted) await emitted;
    }
  }
}

/** Reads the lines of each split it is given. */
export class ReadTextSplitsOperator extends ReadingOperator<FileSplit> {
  protected async read(split: WindowedValue<FileSplit>): Promise<void> {
    const { gcs } = this.payload;
    await forEachLineChunk(split.value.file, (lines) => emitAll(this.receiver, split, lines) ?? undefined, gcs, split.value);
  }
}

operators.registerOperator(SPLIT_TEXT_FILES_URN, SplitTextFilesOperator);
operators.registerOperator(READ_TEXT_SPLITS_URN, ReadTextSplitsOperator);
requireForSerialization("beam-ts-native/io/files/text_files", exports);
