/**
 * An in-memory source that is linear in its size.
 *
 * The SDK's `beam.create(elements)` captures the array in a closure, and serializing that closure is
 * quadratic (100k elements take minutes). Here the elements travel as one V8-serialized payload of
 * our own URN, decoded once by an operator that both our runner and the SDK's worker run.
 */
import * as v8 from "v8";
import * as beam from "apache-beam";
import { impulse } from "apache-beam/transforms/internal";
import { GeneralObjectCoder } from "apache-beam/coders/js_coders";
import * as operators from "apache-beam/worker/operators";
import { requireForSerialization } from "apache-beam/serialization";
import type { PTransform as PTransformProto } from "apache-beam/proto/beam_runner_api";
import type { WindowedValue } from "apache-beam/values";
import type { Pipeline } from "apache-beam/internal/pipeline";
import { emitAll } from "./emit";

/** URN of the primitive that emits the payload's elements once per incoming impulse. */
export const IN_MEMORY_SOURCE_URN = "beam-ts-native:transform:in_memory_source:v1";

/**
 * A source of the given elements, in the global window at the minimum timestamp (like `beam.create`).
 * Elements must be structured-cloneable (plain objects, arrays, strings, numbers, Dates, Maps...).
 */
export function fromArray<T>(elements: readonly T[]): beam.PTransform<beam.Root, beam.PCollection<T>> {
  // A plain Uint8Array, not a Buffer: the SDK may serialize the pipeline (side inputs capture it), and
  // serialize-closures cannot serialize Buffer's native methods.
  const payload = new Uint8Array(v8.serialize(elements));
  return beam.withName(`fromArray(${elements.length})`, (root: beam.Root) =>
    root.apply(impulse()).apply(
      beam.withName(
        "emitElements",
        (input: beam.PCollection<Uint8Array>, pipeline: Pipeline, transform: PTransformProto) => {
          transform.spec = { urn: IN_MEMORY_SOURCE_URN, payload };
          return pipeline.createPCollectionInternal<T>(new GeneralObjectCoder());
        },
      ),
    ),
  );
}

/** Decodes the elements of an in-memory source transform (used by runners). */
export function inMemoryElements(transform: PTransformProto): unknown[] {
  return v8.deserialize(transform.spec!.payload) as unknown[];
}

/** The source as an SDK operator, so the SDK's own runners (and Dataflow's worker) can run it. */
export class InMemorySourceOperator implements operators.IOperator {
  private readonly receiver: operators.Receiver;
  private readonly elements: unknown[];

  constructor(
    readonly transformId: string,
    transform: PTransformProto,
    context: operators.OperatorContext,
  ) {
    this.receiver = context.getReceiver(Object.values(transform.outputs)[0]);
    this.elements = inMemoryElements(transform);
  }

  /** What is still being emitted while a sink downstream pushes back. */
  private emitting: Promise<void> | undefined;

  async startBundle(): Promise<void> {}

  process(impulseValue: WindowedValue<unknown>): operators.ProcessResult {
    const result = emitAll(this.receiver, impulseValue, this.elements);
    if (result !== operators.NonPromise) this.emitting = result;
    return result;
  }

  /**
   * Waits for the rest of the elements: the SDK's impulse ignores the promise `process` returns, and
   * would otherwise finish the steps downstream while elements are still on their way.
   */
  async finishBundle(): Promise<void> {
    await this.emitting;
    this.emitting = undefined;
  }
}

operators.registerOperator(IN_MEMORY_SOURCE_URN, InMemorySourceOperator);
requireForSerialization("beam-ts-native/io/in_memory", exports);
