/**
 * `lookupInBatches(name, lookup, {batchSize})`: a step that enriches its elements with what an
 * async `lookup` finds for them — one call per batch of elements, not one per element (a DoFn's
 * `process` must answer synchronously, so an async read cannot be a DoFn). Each output keeps its
 * input's timestamp, windows and pane; `lookup` returns one output per input, in order.
 *
 * Batches fill within a bundle and never wait past its end: `finishBundle` looks up what is left
 * and emits it, so the latency added is one lookup per bundle. While a lookup runs, the step hands
 * the runner its promise: input stops until the lookup answers (bounded memory). A failed lookup
 * fails the bundle (the runner retries or fails the job, as for any step).
 *
 * An SDK operator of our own URN, so our runner and the SDK's worker run it alike.
 */
import * as beam from "apache-beam";
import { GeneralObjectCoder } from "apache-beam/coders/js_coders";
import * as operators from "apache-beam/worker/operators";
import { deserializeFn, serializeFn } from "apache-beam/internal/serialize";
import { requireForSerialization } from "apache-beam/serialization";
import type { PTransform as PTransformProto } from "apache-beam/proto/beam_runner_api";
import type { WindowedValue } from "apache-beam/values";
import type { Pipeline } from "apache-beam/internal/pipeline";

/** URN of a batch lookup; the payload holds the serialized lookup function and the batch size. */
export const BATCH_LOOKUP_URN = "beam-ts-native:transform:batch_lookup:v1";

/** Finds the output of each input of a batch; one output per input, in order. */
export type BatchLookup<T, U> = (batch: T[]) => Promise<U[]>;

interface LookupPayload {
  lookup: BatchLookup<unknown, unknown>;
  batchSize: number;
}

/**
 * A step mapping its input through `lookup`, a batch at a time. `lookup` is serialized with the
 * pipeline, like a DoFn: it may capture constants and functions of registered modules, not live
 * clients (create those lazily inside it).
 */
export function lookupInBatches<T, U>(name: string, lookup: BatchLookup<T, U>, options: { batchSize?: number } = {}): beam.PTransform<beam.PCollection<T>, beam.PCollection<U>> {
  const payload: LookupPayload = { lookup: lookup as BatchLookup<unknown, unknown>, batchSize: options.batchSize ?? 500 };
  if (!(payload.batchSize >= 1)) throw new Error(`${name}: batchSize must be at least 1, got ${payload.batchSize}`);
  return beam.withName(name, (input: beam.PCollection<T>, pipeline: Pipeline, transform: PTransformProto) => {
    transform.spec = { urn: BATCH_LOOKUP_URN, payload: serializeFn(payload) };
    return pipeline.createPCollectionInternal<U>(new GeneralObjectCoder());
  });
}

/** The step as an SDK operator. */
export class BatchLookupOperator implements operators.IOperator {
  private readonly settings: LookupPayload;
  private readonly receiver: operators.Receiver;
  private buffer: WindowedValue<unknown>[] = [];

  constructor(
    readonly transformId: string,
    transform: PTransformProto,
    context: operators.OperatorContext,
  ) {
    this.settings = deserializeFn(transform.spec!.payload) as LookupPayload;
    this.receiver = context.getReceiver(Object.values(transform.outputs)[0]);
  }

  async startBundle(): Promise<void> {
    this.buffer = [];
  }

  process(element: WindowedValue<unknown>): operators.ProcessResult {
    this.buffer.push(element);
    return this.buffer.length >= this.settings.batchSize ? this.flush() : operators.NonPromise;
  }

  async finishBundle(): Promise<void> {
    await this.flush();
  }

  private async flush(): Promise<void> {
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0) return;
    const outputs = await this.settings.lookup(batch.map((e) => e.value));
    if (outputs.length !== batch.length) throw new Error(`lookup answered ${outputs.length} outputs for ${batch.length} inputs; it must answer one per input`);
    for (let i = 0; i < batch.length; i++) {
      const { windows, pane, timestamp } = batch[i];
      const received = this.receiver.receive({ value: outputs[i], windows, pane, timestamp });
      if (received !== operators.NonPromise) await received;
    }
  }
}

operators.registerOperator(BATCH_LOOKUP_URN, BatchLookupOperator);
requireForSerialization("beam-ts-native/io/batch_lookup", exports);
