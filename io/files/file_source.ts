/**
 * What every file source shares (text lines, Parquet rows): the patterns checked and local ones
 * expanded when the pipeline is built, a primitive of the source's URN whose payload names the
 * inputs, and the operator that reads them file after file (`gs://` patterns expanded where it
 * runs), emitting each decoded batch with backpressure.
 */
import * as beam from "apache-beam";
import { impulse } from "apache-beam/transforms/internal";
import { GeneralObjectCoder } from "apache-beam/coders/js_coders";
import type * as operators from "apache-beam/worker/operators";
import type { PTransform as PTransformProto } from "apache-beam/proto/beam_runner_api";
import type { WindowedValue } from "apache-beam/values";
import type { Pipeline } from "apache-beam/internal/pipeline";
import { emitAll } from "../emit";
import { expandLocalPattern } from "./file_patterns";
import { expandGcsPattern, isGcsUri, type GcsOptions } from "./gcs";

/** What a file source's operator reads: local files already expanded, `gs://` patterns still to expand. */
export interface FileSourcePayload {
  inputs: string[];
  gcs: GcsOptions;
}

/**
 * The source transform `name` reading the files the patterns name with the operator of `urn`.
 * Fails at construction, naming the pattern, when a local pattern matches nothing.
 */
export function fileSource<T>(name: string, urn: string, patterns: string | readonly string[], gcs: GcsOptions = {}): beam.PTransform<beam.Root, beam.PCollection<T>> {
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
  const payload = new TextEncoder().encode(JSON.stringify({ inputs, gcs } satisfies FileSourcePayload));
  return beam.withName(`${name}(${given.join(",")})`, (root: beam.Root) =>
    root.apply(impulse()).apply(
      beam.withName("read", (input: beam.PCollection<Uint8Array>, pipeline: Pipeline, transform: PTransformProto) => {
        transform.spec = { urn, payload };
        return pipeline.createPCollectionInternal<T>(new GeneralObjectCoder());
      }),
    ),
  );
}

/**
 * The operator of a file source: reads every input once per impulse with {@link readFile}.
 * Subclasses say how one file is read (`readFile`) and register themselves for their URN.
 */
export abstract class FileSourceOperator<T> implements operators.IOperator {
  private readonly receiver: operators.Receiver;
  private readonly payload: FileSourcePayload;
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

  /** Calls `onBatch` with the elements of one file, a batch at a time, awaiting it when it returns a promise. */
  protected abstract readFile(file: string, onBatch: (elements: T[]) => void | Promise<void>, gcs: GcsOptions): Promise<void>;

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
    const { inputs, gcs } = this.payload;
    for (const input of inputs) {
      const files = isGcsUri(input) ? await expandGcsPattern(input, gcs) : [input];
      for (const file of files) {
        await this.readFile(file, (elements) => emitAll(this.receiver, template, elements) ?? undefined, gcs);
      }
    }
  }
}
