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
import { impulse } from "apache-beam/transforms/internal";
import { GeneralObjectCoder } from "apache-beam/coders/js_coders";
import * as operators from "apache-beam/worker/operators";
import { requireForSerialization } from "apache-beam/serialization";
import type { PTransform as PTransformProto } from "apache-beam/proto/beam_runner_api";
import type { WindowedValue } from "apache-beam/values";
import type { Pipeline } from "apache-beam/internal/pipeline";
import type { TextLine } from "../../transforms/text_line";
import { emitAll } from "../emit";
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from "./checked_lines";
import { expandLocalPattern } from "./file_patterns";
import { expandGcsPattern, gcsError, gcsReadStream, isGcsUri, type GcsOptions } from "./gcs";

/** URN of the primitive that reads the files named in its payload, once per incoming impulse. */
export const READ_TEXT_LINES_URN = "beam-ts-native:transform:read_text_lines:v1";

const CHUNK_BYTES = 1 << 20;

/** Settings of {@link readTextLines}. */
export interface ReadTextLinesOptions {
  /** How to reach GCS for `gs://` inputs (default: the real service, ambient credentials). */
  gcs?: GcsOptions;
  /** Longest line read, in bytes (default 10 MiB); a longer one costs no more and is delivered refused. */
  maxLineBytes?: number;
}

/** What the operator reads: local files already expanded, `gs://` patterns still to expand. */
interface ReadPayload {
  inputs: string[];
  gcs: GcsOptions;
  maxLineBytes: number;
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
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!(Number.isInteger(maxLineBytes) && maxLineBytes >= 1)) throw new Error(`readTextLines: maxLineBytes must be a whole number of at least 1, got ${maxLineBytes}`);
  const payload = new TextEncoder().encode(JSON.stringify({ inputs, gcs: options.gcs ?? {}, maxLineBytes } satisfies ReadPayload));
  return beam.withName(`readTextLines(${given.join(",")})`, (root: beam.Root) =>
    root.apply(impulse()).apply(
      beam.withName("readLines", (input: beam.PCollection<Uint8Array>, pipeline: Pipeline, transform: PTransformProto) => {
        transform.spec = { urn: READ_TEXT_LINES_URN, payload };
        return pipeline.createPCollectionInternal<TextLine>(new GeneralObjectCoder());
      }),
    ),
  );
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
  gcs: GcsOptions = {},
  maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
): Promise<void> {
  const raw = isGcsUri(file) ? gcsReadStream(file, gcs) : fs.createReadStream(file, { highWaterMark: CHUNK_BYTES });
  const gzipped = file.endsWith(".gz");
  const stream = gzipped ? raw.pipe(zlib.createGunzip({ chunkSize: CHUNK_BYTES })) : raw;
  if (gzipped) raw.on("error", (error: Error) => stream.destroy(error));
  const splitter = new LineSplitter(file, maxLineBytes);
  let first = true;
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      if (first && !gzipped && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
        throw new CompressedInput(`'${file}' is gzip-compressed: name it with a .gz suffix to read it decompressed`);
      }
      first = false;
      const pending = onLines(splitter.push(bytes));
      if (pending !== undefined) await pending;
    }
  } catch (error) {
    // Failures downstream pass through untouched; only the stream's own errors get the file's name.
    if (error instanceof CompressedInput || (stream.errored === null && raw.errored === null)) throw error;
    throw isGcsUri(file) ? gcsError(file, "reading", error) : new Error(`reading '${file}' failed: ${(error as Error).message}`, { cause: error });
  } finally {
    stream.destroy();
    raw.destroy();
  }
  const last = splitter.end();
  if (last.length > 0) {
    const pending = onLines(last);
    if (pending !== undefined) await pending;
  }
}

/** The first two bytes of every gzip stream. */
const GZIP_MAGIC = [0x1f, 0x8b];

/** A compressed file not named as such. */
class CompressedInput extends Error {}

/** The reader as an SDK operator. */
export class ReadTextLinesOperator implements operators.IOperator {
  private readonly receiver: operators.Receiver;
  private readonly payload: ReadPayload;

  constructor(
    readonly transformId: string,
    transform: PTransformProto,
    context: operators.OperatorContext,
  ) {
    this.receiver = context.getReceiver(Object.values(transform.outputs)[0]);
    this.payload = JSON.parse(new TextDecoder().decode(transform.spec!.payload)) as ReadPayload;
  }

  private reading: Promise<void>[] = [];
  private failure: unknown = undefined;

  async startBundle(): Promise<void> {
    this.reading = [];
    this.failure = undefined;
  }

  process(impulseValue: WindowedValue<unknown>): operators.ProcessResult {
    const reading = this.readAll(impulseValue);
    // Kept as well as returned: the SDK's direct runner drops what its impulse's receivers return,
    // so the reading must end (and its failure surface) in this operator's own finishBundle, which
    // every runner awaits before finishing the steps downstream.
    this.reading.push(reading.catch((error: unknown) => void (this.failure ??= error)));
    return reading;
  }

  async finishBundle(): Promise<void> {
    await Promise.all(this.reading);
    if (this.failure !== undefined) throw this.failure;
  }

  private async readAll(template: WindowedValue<unknown>): Promise<void> {
    const { inputs, gcs, maxLineBytes } = this.payload;
    for (const input of inputs) {
      const files = isGcsUri(input) ? await expandGcsPattern(input, gcs) : [input];
      for (const file of files) {
        await forEachLineChunk(file, (lines) => emitAll(this.receiver, template, lines) ?? undefined, gcs, maxLineBytes);
      }
    }
  }
}

operators.registerOperator(READ_TEXT_LINES_URN, ReadTextLinesOperator);
requireForSerialization("beam-ts-native/io/files/text_files", exports);
