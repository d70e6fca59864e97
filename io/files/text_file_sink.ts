/**
 * Writing a PCollection as sharded text files — `prefix-00000-of-00004.suffix` … — locally or on
 * GCS, as plain text, JSON lines or CSV.
 *
 * How a file comes to be (Beam's WriteFiles, in two steps of our own URNs):
 * 1. **Write.** Elements stream into temp files, one per shard, in a hidden directory beside the
 *    outputs (`.temp-<name>-<run id>/`); they go to the shards round robin. Where the runner runs
 *    several copies of the step at once (sdk/stage_copy.ts: ours, one per thread at `workers` > 1),
 *    copy i of n writes only the shards ≡ i (mod n) (copy i ≥ shards: shard i mod shards), so a
 *    shard has one writer; shards are balanced within a copy, and a copy that gets few of the
 *    elements (a short job whose worker thread took no part) leaves its shards small or empty.
 *    Locally a copy keeps one temp file per shard for the whole job, made durable (fsync'd) at the
 *    end of each bundle; on GCS each bundle uploads temp objects of its own. Like every sink here ({@link writeInBatches}'s shape): batches, a bound on writes in
 *    flight, backpressure, and `finishBundle` returns only once what the bundle wrote is durable.
 *    It then hands the finalizer the names of its temp files (and their lengths). A bundle that
 *    fails takes its bytes back out (the files are cut back to their length at the last bundle's end).
 * 2. **Finalize**, once per shard when the input is complete (end of a batch input; drain of a
 *    streaming one): the shard's temp file becomes the final file by an atomic rename (GCS: a
 *    server-side move). When several wrote to the shard (copies that share it; GCS: bundles),
 *    locally the others are appended to the largest, which is then renamed (only their bytes
 *    copied: the batch ETL's ~1 GB of rows at 2 workers, written per bundle and concatenated, took
 *    715–720 ms to finalize, now 8–19); on GCS they are streamed into one upload (headers kept once).
 *    Every shard gets a file, a header-only one if it got no element.
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
import { appendLocalOutputs, concatenateOutputs, createLocalOutputFile, createOutputFile, deleteOutput, moveOutput, outputExists, type LocalOutputFile, type OutputFile } from "./output_files";
import { stageCopyOf, type StageCopy } from "../../sdk/stage_copy";

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

/** What a writer tells the finalizer about one shard at the end of a bundle: its temp file, if it has one, and that file's bytes then. */
interface ShardPart {
  temp?: string;
  bytes?: number;
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

/** The shards copy `copy` of the write step writes: ≡ index (mod count), or one shared when there are more copies than shards. */
export function shardsOfCopy(copy: StageCopy, shards: number): number[] {
  if (copy.index >= shards) return [copy.index % shards];
  const owned: number[] = [];
  for (let shard = copy.index; shard < shards; shard += copy.count) owned.push(shard);
  return owned;
}

/**
 * The temp files one copy of the write step writes, one per shard, opened on first use. Local ones
 * are kept for the whole job: each bundle's end makes them durable ({@link commit}), a failed
 * bundle cuts them back ({@link rollBack}). GCS objects cannot be appended to once uploaded: there
 * each bundle's are closed at its end and the next bundle opens new ones.
 */
class ShardTemps {
  private readonly id = randomBytes(6).toString("hex");
  private readonly keepsFiles: boolean;
  private outputs: (OutputFile | undefined)[];
  /** Local: each shard's bytes made durable by the last bundle's end. */
  private readonly committed: number[];
  /** GCS: bundles committed, in the temp names so that each bundle's are new. */
  private bundles = 0;
  private readonly owned: number[];
  /** Where the round robin over the owned shards is; starts anywhere so that small bundles spread over the shards. */
  private turn: number;
  /** Something was appended since the last commit or roll back. */
  dirty = false;

  constructor(private readonly settings: SinkSettings, copy: StageCopy) {
    this.keepsFiles = !isGcsUri(settings.tempDirectory);
    this.outputs = new Array(settings.shards).fill(undefined);
    this.committed = new Array(settings.shards).fill(0);
    this.owned = shardsOfCopy(copy, settings.shards);
    this.turn = Math.floor(Math.random() * this.owned.length);
  }

  /** The shard of the next element. */
  nextShard(): number {
    const shard = this.owned[this.turn];
    this.turn = this.turn + 1 === this.owned.length ? 0 : this.turn + 1;
    return shard;
  }

  private tempName(shard: number): string {
    const bundle = this.keepsFiles ? "" : `-${this.bundles}`;
    return `${this.settings.tempDirectory}${this.id}${bundle}-${String(shard).padStart(5, "0")}`;
  }

  /** Appends `text` to the shard's temp file, opening it (header first) on first use. */
  append(shard: number, text: string): Promise<void> {
    this.dirty = true;
    let output = this.outputs[shard];
    if (output === undefined) {
      const name = this.tempName(shard);
      output = this.keepsFiles ? createLocalOutputFile(name) : createOutputFile(name, this.settings.gcs);
      this.outputs[shard] = output;
      text = this.settings.header + text;
    }
    return output.append(text);
  }

  /** Makes everything appended durable (local: fsync'd; GCS: uploaded, and closed) and says each shard's temp file. */
  async commit(): Promise<ShardPart[]> {
    const outputs = this.outputs;
    const durable = await Promise.allSettled(outputs.map((output) => (output === undefined ? undefined : this.keepsFiles ? (output as LocalOutputFile).sync() : output.close())));
    const failed = durable.find((c): c is PromiseRejectedResult => c.status === "rejected");
    if (failed !== undefined) {
      // What the others wrote is given up too (a GCS upload still going is cancelled).
      await this.rollBack();
      throw failed.reason;
    }
    const parts = outputs.map((output, shard) => {
      if (output === undefined) return {};
      if (this.keepsFiles) this.committed[shard] = (output as LocalOutputFile).size;
      return { temp: this.tempName(shard), bytes: this.keepsFiles ? this.committed[shard] : undefined };
    });
    if (!this.keepsFiles) {
      this.outputs = new Array(this.settings.shards).fill(undefined);
      this.bundles++;
    }
    this.dirty = false;
    return parts;
  }

  /**
   * Gives up what was appended since the last commit (a bundle that failed or was cut off: it is
   * rerun or the job fails): local files are cut back to their committed bytes (and closed; a file
   * none of which was committed is dropped), GCS uploads cancelled. Writes in flight must have settled.
   */
  async rollBack(): Promise<void> {
    this.dirty = false;
    await Promise.all(
      this.outputs.map(async (output, shard) => {
        if (output === undefined) return;
        if (this.keepsFiles && this.committed[shard] > 0) {
          const file = output as LocalOutputFile;
          await file.truncate(this.committed[shard]).finally(() => file.abandon());
          return;
        }
        this.outputs[shard] = undefined;
        await output.abandon();
      }),
    );
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
  private readonly copy: StageCopy;
  private temps: ShardTemps | undefined;
  private template: WindowedValue<unknown> | undefined;

  constructor(
    readonly transformId: string,
    transform: PTransformProto,
    context: operators.OperatorContext,
  ) {
    this.settings = sinkSettingsOf(transform);
    this.receiver = context.getReceiver(Object.values(transform.outputs)[0]);
    this.copy = stageCopyOf(context);
  }

  async startBundle(): Promise<void> {
    // A bundle cut off before its finishBundle (a failure downstream in the stage) left its bytes in the files.
    await this.rollBack();
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
      await this.rollBack();
      throw this.failure;
    }
    const temps = this.temps;
    if (temps === undefined || !temps.dirty) return;
    const parts = await temps.commit();
    for (let shard = 0; shard < parts.length; shard++) {
      const emitted = this.receiver.receive({ ...this.template!, value: { key: shard, value: parts[shard] } satisfies KV<number, ShardPart> });
      if (emitted !== operators.NonPromise) await emitted;
    }
  }

  private flush(): void {
    const lines = this.buffer;
    this.buffer = [];
    const temps = (this.temps ??= new ShardTemps(this.settings, this.copy));
    const perShard: string[][] = Array.from({ length: this.settings.shards }, () => []);
    for (const line of lines) perShard[temps.nextShard()].push(line);
    // Every shard's range is claimed now, before any await: batches land in the order they came.
    const appends = perShard.flatMap((shardLines, shard) => (shardLines.length === 0 ? [] : [temps.append(shard, shardLines.join(""))]));
    const write: Promise<void> = Promise.all(appends)
      .then(() => undefined)
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
  }

  /** Takes back what a bundle that will not finish wrote, once its writes in flight have settled. */
  private async rollBack(): Promise<void> {
    const temps = this.temps;
    if (temps === undefined || !temps.dirty) return;
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    await temps.rollBack();
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
    // A kept temp file is named by every bundle that wrote to it: the last (longest) report counts.
    const bytesOf = new Map<string, number>();
    for (const { temp, bytes } of element.value.value) if (temp !== undefined) bytesOf.set(temp, Math.max(bytesOf.get(temp) ?? 0, bytes ?? 0));
    const temps = [...bytesOf.keys()].sort();
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
    } else if (!isGcsUri(tempDirectory)) {
      // The others appended to the largest, which becomes the file: only their bytes are copied.
      const largest = temps.reduce((a, b) => (bytesOf.get(b)! > bytesOf.get(a)! ? b : a));
      const others = temps.filter((temp) => temp !== largest);
      const appendAndMove = async () => {
        await appendLocalOutputs(largest, bytesOf.get(largest)!, others, Buffer.byteLength(header));
        await moveOutput(largest, final, gcs);
      };
      await appendAndMove().catch(async (error: unknown) => {
        // A replayed finalize finds the largest already moved into place.
        if (!(await outputExists(final, gcs)) || (await outputExists(largest, gcs))) throw error;
      });
      await Promise.all(others.map((temp) => deleteOutput(temp, gcs)));
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
