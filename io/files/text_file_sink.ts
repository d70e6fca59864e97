/**
 * Writing a PCollection as sharded text files — `prefix-00000-of-00004.suffix` … — locally or on
 * GCS, as plain text, JSON lines or CSV.
 *
 * How a file comes to be (Beam's WriteFiles, in two steps of our own URNs):
 * 1. **Write.** Each bundle streams its elements into temp files, one per shard, in a hidden
 *    directory beside the outputs (`.temp-<name>-<run id>/`); elements go to the shards round
 *    robin. Like every sink here ({@link writeInBatches}'s shape): batches, a bound on writes in
 *    flight, backpressure, and `finishBundle` returns only once the bundle's temp files are durable
 *    (local: fsync'd; GCS: uploaded). It then hands the finalizer the names of its temp files.
 * 2. **Finalize**, once per shard when the input is complete (end of a batch input; drain of a
 *    streaming one): the shard's temp file becomes the final file by an atomic rename (GCS: a
 *    server-side move), or, when several bundles wrote to the shard, the temp files are streamed
 *    into it (headers kept once) and it appears whole (local: written under a hidden name and
 *    renamed; GCS: one upload). Every shard gets a file, a header-only one if it got no element.
 *
 * So a final name never shows a partial file: a run that fails, is cancelled or interrupted has
 * its temp directory removed when the process exits; a crash (kill -9) leaves it (files of an
 * interrupted run; safe to delete), and a replay rewrites every shard whole. An empty input
 * writes no file at all. The transform's output is the final file names, once they exist.
 *
 * A file sink needs an end-of-bundle step (close its temp files) and an output (what to
 * finalize), which `writeInBatches` has neither of, hence an operator of its own with the same
 * batching and backpressure.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as beam from "apache-beam";
import { groupByKey } from "apache-beam/transforms/internal";
import { GeneralObjectCoder } from "apache-beam/coders/js_coders";
import * as operators from "apache-beam/worker/operators";
import { requireForSerialization } from "apache-beam/serialization";
import type { PTransform as PTransformProto } from "apache-beam/proto/beam_runner_api";
import type { KV, WindowedValue } from "apache-beam/values";
import type { Pipeline } from "apache-beam/internal/pipeline";
import { isGcsUri, parseGcsUri, type GcsOptions } from "./gcs";
import { formatLine, headerLine, type TextFileFormat } from "./line_format";
import { removeAtExit } from "./removed_at_exit";
import { concatenateOutputs, createOutputFile, deleteOutput, moveOutput, outputExists, type OutputFile } from "./output_files";

/** URN of the step writing each bundle's temp files. */
export const TEXT_FILE_WRITER_URN = "beam-ts-native:transform:text_file_writer:v1";
/** URN of the step turning a shard's temp files into its final file. */
export const TEXT_FILE_FINALIZER_URN = "beam-ts-native:transform:text_file_finalizer:v1";

const MAX_SHARDS = 99_999;

/** Settings of {@link writeTextFiles}. */
export interface WriteTextFilesOptions {
  /** Local path prefix or `gs://bucket/prefix` of the files. */
  prefix: string;
  /** What follows the shard numbers (`.csv`); default none. */
  suffix?: string;
  /** How many files (default 1). */
  shards?: number;
  /** `text` (strings as they are), `jsonl` (JSON per element) or `csv` (arrays, or objects by `header`). */
  format: TextFileFormat;
  /** First line of every file: CSV column names (also which fields of an object, in order), or a text line. */
  header?: string | readonly string[];
  /** How to reach GCS for a `gs://` prefix. */
  gcs?: GcsOptions;
  /** Elements per write (default 500). */
  batchSize?: number;
  /** Writes in flight before the sink pushes back (default 4). */
  maxInFlight?: number;
}

/** Everything both steps need, as plain data (the payload of both). */
interface SinkSettings {
  prefix: string;
  suffix: string;
  shards: number;
  format: TextFileFormat;
  columns?: readonly string[];
  /** The header line with its newline, or "". */
  header: string;
  /** Where temp files go: a hidden directory beside the outputs, unique to this pipeline. */
  tempDirectory: string;
  gcs: GcsOptions;
  batchSize: number;
  maxInFlight: number;
}

/** What a writer tells the finalizer about one shard: its temp file, if this bundle wrote one. */
interface ShardPart {
  temp?: string;
}

/** The final name of one shard: `prefix-00001-of-00004.suffix`. */
export function shardFileName(prefix: string, shard: number, shards: number, suffix = ""): string {
  return `${prefix}-${String(shard).padStart(5, "0")}-of-${String(shards).padStart(5, "0")}${suffix}`;
}

/**
 * Writes the input as `shards` text files named by {@link shardFileName} (see the module comment for
 * when they appear and what a crash leaves). Returns the names of the files written.
 */
export function writeTextFiles<T>(options: WriteTextFilesOptions): beam.PTransform<beam.PCollection<T>, beam.PCollection<string>> {
  const settings = sinkSettings(options);
  const payload = new TextEncoder().encode(JSON.stringify(settings));
  const primitive = (name: string, urn: string) =>
    beam.withName(name, (input: beam.PCollection<unknown>, pipeline: Pipeline, transform: PTransformProto) => {
      transform.spec = { urn, payload };
      return pipeline.createPCollectionInternal<unknown>(new GeneralObjectCoder());
    });
  return beam.withName(`writeTextFiles(${options.prefix})`, (input: beam.PCollection<T>) =>
    input
      .apply(primitive("writeTempFiles", TEXT_FILE_WRITER_URN))
      // Shards are finalized once for the whole input, whatever windows it came in.
      .apply(beam.windowInto(beam.globalWindows()))
      .apply(groupByKey())
      .apply(primitive("finalizeShards", TEXT_FILE_FINALIZER_URN)) as beam.PCollection<string>,
  );
}

function sinkSettings(options: WriteTextFilesOptions): SinkSettings {
  const { prefix, format } = options;
  const shards = options.shards ?? 1;
  const where = `writeTextFiles(${prefix})`;
  if (prefix === "" || prefix.endsWith("/")) throw new Error(`${where}: the prefix must end with a file name part, got '${prefix}'`);
  if (isGcsUri(prefix) && parseGcsUri(prefix).name === "") throw new Error(`${where}: the prefix must name objects inside the bucket`);
  if (!["text", "jsonl", "csv"].includes(format)) throw new Error(`${where}: format must be text, jsonl or csv, got '${format}'`);
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) throw new Error(`${where}: shards must be an integer from 1 to ${MAX_SHARDS}, got ${shards}`);
  const batchSize = options.batchSize ?? 500;
  const maxInFlight = options.maxInFlight ?? 4;
  if (!(batchSize >= 1 && maxInFlight >= 1)) throw new Error(`${where}: batchSize and maxInFlight must be at least 1, got ${batchSize} and ${maxInFlight}`);
  let header: string | undefined;
  try {
    header = headerLine(format, options.header);
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`);
  }
  const slash = prefix.lastIndexOf("/");
  const tempDirectory = `${prefix.slice(0, slash + 1)}.temp-${prefix.slice(slash + 1)}-${randomBytes(6).toString("hex")}/`;
  // A run that does not finish (a failure, a cancel, Ctrl-C) leaves nothing behind.
  if (!isGcsUri(tempDirectory)) removeAtExit(path.normalize(tempDirectory));
  return {
    prefix,
    suffix: options.suffix ?? "",
    shards,
    format,
    columns: format === "csv" && Array.isArray(options.header) ? options.header : undefined,
    header: header === undefined ? "" : header + "\n",
    tempDirectory,
    gcs: options.gcs ?? {},
    batchSize,
    maxInFlight,
  };
}

/** The temp files of the bundle in progress, one per shard, opened on first use. */
class BundleFiles {
  private readonly id = randomBytes(6).toString("hex");
  private readonly outputs: (OutputFile | undefined)[];
  /** The next element's shard; starts anywhere so that small bundles spread over the shards. */
  next: number;

  constructor(private readonly settings: SinkSettings) {
    this.outputs = new Array(settings.shards).fill(undefined);
    this.next = Math.floor(Math.random() * settings.shards);
  }

  tempName(shard: number): string {
    return `${this.settings.tempDirectory}${this.id}-${String(shard).padStart(5, "0")}`;
  }

  /** Appends `text` to the shard's temp file, opening it (header first) on first use. */
  append(shard: number, text: string): Promise<void> {
    let output = this.outputs[shard];
    if (output === undefined) {
      output = createOutputFile(this.tempName(shard), this.settings.gcs);
      this.outputs[shard] = output;
      text = this.settings.header + text;
    }
    return output.append(text);
  }

  /** Closes every temp file (durable once this resolves) and says which shards have one. */
  async close(): Promise<ShardPart[]> {
    const closed = await Promise.allSettled(this.outputs.map((output) => output?.close()));
    const failed = closed.find((c): c is PromiseRejectedResult => c.status === "rejected");
    if (failed !== undefined) {
      // The others are given up too (a GCS upload still going is cancelled).
      await this.abandon();
      throw failed.reason;
    }
    return this.outputs.map((output, shard) => (output === undefined ? {} : { temp: this.tempName(shard) }));
  }

  /** Gives up every temp file of a bundle that failed or was cut off (never read: the bundle is rerun or the job failed). */
  async abandon(): Promise<void> {
    await Promise.all(this.outputs.map((output) => output?.abandon()));
  }
}

/** The settings both steps carry as their payload (JSON). */
function sinkSettingsOf(transform: PTransformProto): SinkSettings {
  return JSON.parse(new TextDecoder().decode(transform.spec!.payload)) as SinkSettings;
}

/** The write step as an SDK operator: formats, batches and appends to the bundle's temp files. */
export class TextFileWriterOperator implements operators.IOperator {
  private readonly settings: SinkSettings;
  private readonly receiver: operators.Receiver;
  private buffer: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown = undefined;
  private files: BundleFiles | undefined;
  private template: WindowedValue<unknown> | undefined;

  constructor(
    readonly transformId: string,
    transform: PTransformProto,
    context: operators.OperatorContext,
  ) {
    this.settings = sinkSettingsOf(transform);
    this.receiver = context.getReceiver(Object.values(transform.outputs)[0]);
  }

  async startBundle(): Promise<void> {
    // A bundle cut off before its finishBundle (a failure downstream in the stage) left its files open.
    await this.abandonFiles();
    this.buffer = [];
    this.failure = undefined;
  }

  process(element: WindowedValue<unknown>): operators.ProcessResult {
    if (this.failure !== undefined) throw this.failure;
    // Formatted here, so an element that cannot be written fails the step naming that element.
    this.buffer.push(formatLine(element.value, this.settings) + "\n");
    this.template = element;
    if (this.buffer.length < this.settings.batchSize) return operators.NonPromise;
    this.flush();
    return this.inFlight.size >= this.settings.maxInFlight ? this.oneWriteDone() : operators.NonPromise;
  }

  async finishBundle(): Promise<void> {
    if (this.buffer.length > 0) this.flush();
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    if (this.failure !== undefined) {
      await this.abandonFiles();
      throw this.failure;
    }
    const files = this.files;
    this.files = undefined;
    if (files === undefined) return;
    const parts = await files.close();
    for (let shard = 0; shard < parts.length; shard++) {
      const emitted = this.receiver.receive({ ...this.template!, value: { key: shard, value: parts[shard] } satisfies KV<number, ShardPart> });
      if (emitted !== operators.NonPromise) await emitted;
    }
  }

  private flush(): void {
    const lines = this.buffer;
    this.buffer = [];
    const files = (this.files ??= new BundleFiles(this.settings));
    const { shards } = this.settings;
    const perShard: string[][] = Array.from({ length: shards }, () => []);
    for (const line of lines) perShard[files.next++ % shards].push(line);
    // Every shard's range is claimed now, before any await: batches land in the order they came.
    const appends = perShard.flatMap((shardLines, shard) => (shardLines.length === 0 ? [] : [files.append(shard, shardLines.join(""))]));
    const write: Promise<void> = Promise.all(appends)
      .then(() => undefined)
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
  }

  /** Releases the files of a bundle that will not finish, once its writes in flight have settled. */
  private async abandonFiles(): Promise<void> {
    const files = this.files;
    this.files = undefined;
    if (files === undefined) return;
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    await files.abandon();
  }

  private async oneWriteDone(): Promise<void> {
    // A write that already failed has left the set: racing an empty set would never end.
    if (this.inFlight.size > 0) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }
}

/** The finalize step as an SDK operator: one grouped shard in, its final file name out. */
export class TextFileFinalizerOperator implements operators.IOperator {
  private readonly settings: SinkSettings;
  private readonly receiver: operators.Receiver;

  constructor(
    readonly transformId: string,
    transform: PTransformProto,
    context: operators.OperatorContext,
  ) {
    this.settings = sinkSettingsOf(transform);
    this.receiver = context.getReceiver(Object.values(transform.outputs)[0]);
  }

  async startBundle(): Promise<void> {}

  process(element: WindowedValue<unknown>): operators.ProcessResult {
    return this.finalize(element as WindowedValue<KV<number, Iterable<ShardPart>>>);
  }

  async finishBundle(): Promise<void> {}

  private async finalize(element: WindowedValue<KV<number, Iterable<ShardPart>>>): Promise<void> {
    const { prefix, suffix, shards, header, gcs, tempDirectory } = this.settings;
    const shard = element.value.key;
    const final = shardFileName(prefix, shard, shards, suffix);
    const temps = [...element.value.value].flatMap((part) => (part.temp === undefined ? [] : [part.temp])).sort();
    if (temps.length === 0) {
      // No bundle wrote to this shard: it still gets its file, so that the set is complete.
      const empty = `${tempDirectory}empty-${String(shard).padStart(5, "0")}-${randomBytes(6).toString("hex")}`;
      const output = createOutputFile(empty, gcs);
      await output.append(Buffer.from(header));
      await output.close();
      temps.push(empty);
    }
    if (temps.length === 1) {
      await moveOutput(temps[0], final, gcs).catch(async (error: unknown) => {
        // A replayed finalize finds its temp file already moved into place.
        if (!(await outputExists(final, gcs)) || (await outputExists(temps[0], gcs))) throw error;
      });
    } else {
      await concatenateOutputs(temps, final, Buffer.byteLength(header), gcs);
      await Promise.all(temps.map((temp) => deleteOutput(temp, gcs)));
    }
    if (!isGcsUri(tempDirectory)) await removeIfEmpty(tempDirectory);
    const emitted = this.receiver.receive({ ...element, value: final });
    if (emitted !== operators.NonPromise) await emitted;
  }
}

/** Removes a local directory once its last file is gone; shards finalizing alongside may still use it. */
async function removeIfEmpty(directory: string): Promise<void> {
  await fs.promises.rmdir(path.normalize(directory)).catch(() => undefined);
}

operators.registerOperator(TEXT_FILE_WRITER_URN, TextFileWriterOperator);
operators.registerOperator(TEXT_FILE_FINALIZER_URN, TextFileFinalizerOperator);
requireForSerialization("beam-ts-native/io/files/text_file_sink", exports);
