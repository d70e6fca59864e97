/**
 * What every file source shares (text lines, Parquet rows): the patterns checked and local ones
 * expanded when the pipeline is built, a primitive of the source's URN whose payload names the
 * inputs, and the operator that reads them, emitting each decoded batch with backpressure.
 *
 * The read is splittable (Beam's way to use every worker): a first step expands the inputs
 * (`gs://` patterns where it runs) and cuts them into {@link FileSplit}s — within files for a
 * source whose records are lines (io/files/file_splits.ts), whole files otherwise; the splits are
 * reshuffled, so the read is a stage of its own whose bundles of splits a runner spreads over its
 * workers; the source's operator then reads each split it is given.
 */
import * as beam from "apache-beam";
import { impulse } from "apache-beam/transforms/internal";
import { GeneralObjectCoder } from "apache-beam/coders/js_coders";
import * as operators from "apache-beam/worker/operators";
import { reshuffle } from "apache-beam/transforms/utils";
import type { PTransform as PTransformProto } from "apache-beam/proto/beam_runner_api";
import type { WindowedValue } from "apache-beam/values";
import type { Pipeline } from "apache-beam/internal/pipeline";
import { requireForSerialization } from "apache-beam/serialization";
import { emitAll } from "../emit";
import { expandLocalPattern } from "./file_patterns";
import { expandGcsPattern, isGcsUri, type GcsOptions } from "./gcs";
import { gcsObjectSplits, localFileSplits, splittableLocalBytes, wholeFile, type FileSplit } from "./file_splits";
import { annotateInputBytes } from "../../sdk/input_bytes";

/** What a file source's operator reads: local files already expanded, `gs://` patterns still to expand. */
export interface FileSourcePayload {
  inputs: string[];
  gcs: GcsOptions;
  /** True when records are lines, so local files may be split within (at record starts). */
  splitsWithinFiles: boolean;
  /** A text source's longest line, bytes (io/files/checked_lines.ts); undefined: its default. */
  maxLineBytes?: number;
}

/** URN of the step that expands a file source's inputs into splits, once per incoming impulse. */
export const SPLIT_FILES_URN = "beam-ts-native:transform:split_files:v1";

/**
 * The source transform `name` reading the files the patterns name with the operator of `urn`.
 * Fails at construction, naming the pattern, when a local pattern matches nothing.
 */
export function fileSource<T>(
  name: string,
  urn: string,
  patterns: string | readonly string[],
  gcs: GcsOptions = {},
  splitsWithinFiles = false,
  maxLineBytes?: number,
): beam.PTransform<beam.Root, beam.PCollection<T>> {
  const given = typeof patterns === "string" ? [patterns] : [...patterns];
  if (given.length === 0) throw new Error(`${name}: no input given`);
  const inputs = given.flatMap((pattern) => {
    if (isGcsUri(pattern)) return [pattern];
    try {
      return expandLocalPattern(pattern);
    } catch (error) {
      throw new Error(`${name}: ${(error as Error).message}`);
    }
  });
  const payload = new TextEncoder().encode(JSON.stringify({ inputs, gcs, splitsWithinFiles, maxLineBytes } satisfies FileSourcePayload));
  // What the splits spread over workers, said to the runner before the job runs (sdk/input_bytes.ts).
  const sharedBytes = splitsWithinFiles ? splittableLocalBytes(inputs) : 0;
  return beam.withName(`${name}(${given.join(",")})`, (root: beam.Root) =>
    root
      .apply(impulse())
      .apply(primitive<Uint8Array, FileSplit>("split", SPLIT_FILES_URN, payload, sharedBytes))
      .apply(reshuffle())
      .apply(primitive<FileSplit, T>("read", urn, payload)),
  );
}

/** A step of one of our URNs, run by the operator registered for it; `inputBytes` (when > 0): what it announces it reads. */
function primitive<I, O>(name: string, urn: string, payload: Uint8Array, inputBytes = 0): beam.PTransform<beam.PCollection<I>, beam.PCollection<O>> {
  return beam.withName(name, (input: beam.PCollection<I>, pipeline: Pipeline, transform: PTransformProto) => {
    transform.spec = { urn, payload };
    if (inputBytes > 0) annotateInputBytes(transform, inputBytes);
    return pipeline.createPCollectionInternal<O>(new GeneralObjectCoder());
  });
}

/**
 * An operator that runs one async read per input element and ends it (and surfaces its failure) in
 * its own finishBundle: the SDK's direct runner drops what its impulse's receivers return, and every
 * runner awaits finishBundle before finishing the steps downstream.
 */
abstract class ReadingOperator<I> implements operators.IOperator {
  protected readonly receiver: operators.Receiver;
  protected readonly payload: FileSourcePayload;
  private reading: Promise<void>[] = [];
  private failure: unknown = undefined;

  constructor(
    readonly transformId: string,
    transform: PTransformProto,
    context: operators.OperatorContext,
  ) {
    this.receiver = context.getReceiver(Object.values(transform.outputs)[0]);
    this.payload = JSON.parse(new TextDecoder().decode(transform.spec!.payload)) as FileSourcePayload;
  }

  protected abstract read(element: WindowedValue<I>): Promise<void>;

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
}

/** Expands a file source's inputs and cuts them into splits. */
export class SplitFilesOperator extends ReadingOperator<unknown> {
  protected async read(impulseValue: WindowedValue<unknown>): Promise<void> {
    const { inputs, gcs, splitsWithinFiles } = this.payload;
    for (const input of inputs) {
      let splits: FileSplit[];
      if (isGcsUri(input)) {
        const objects = await expandGcsPattern(input, gcs);
        splits = [];
        // One object scanned at a time: a pattern may match many, each one streamed read.
        for (const uri of objects) splits.push(...(splitsWithinFiles ? await gcsObjectSplits(uri, gcs) : [wholeFile(uri)]));
      } else splits = splitsWithinFiles ? await localFileSplits(input) : [wholeFile(input)];
      const emitted = emitAll(this.receiver, impulseValue, splits);
      if (emitted !== operators.NonPromise) await emitted;
    }
  }
}

/**
 * The operator of a file source: reads each split it is given with {@link readFile}.
 * Subclasses say how one split is read (`readFile`) and register themselves for their URN.
 */
export abstract class FileSourceOperator<T> extends ReadingOperator<FileSplit> {
  /**
   * Calls `onBatch` with the elements of one split (a whole file unless the source splits within
   * files), a batch at a time, awaiting it when it returns a promise.
   */
  protected abstract readFile(file: string, onBatch: (elements: T[]) => void | Promise<void>, gcs: GcsOptions, split: FileSplit): Promise<void>;

  protected read(split: WindowedValue<FileSplit>): Promise<void> {
    return this.readFile(split.value.file, (elements) => emitAll(this.receiver, split, elements) ?? undefined, this.payload.gcs, split.value);
  }
}

operators.registerOperator(SPLIT_FILES_URN, SplitFilesOperator);
requireForSerialization("beam-ts-native/io/files/file_source", exports);
