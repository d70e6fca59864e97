/**
 * The shape every sink of this project shares: elements are buffered into batches, batches are
 * written by an async function with a bounded number in flight, and when that bound is reached the
 * sink hands the runner a promise, so the runner stops feeding it until a write completes. Memory
 * stays bounded by `batchSize × (maxInFlight + 1)` elements however slow the destination is.
 * `finishBundle` resolves only once everything the bundle received has been written, which is what
 * lets a runner acknowledge input only after its output is durable — unless the runner offers to
 * track that itself (sdk/deferred_writes.ts, as ours does): then the bundle's writes are handed to it
 * and the next bundle runs while they finish. A partial batch left at the end of a bundle then waits
 * up to `lingerMs` for the next bundles to fill it (the bundle's handed-over promise includes it):
 * streaming bundles are small, and a write per bundle made many small writes, each costing the
 * destination about as much as a full one. When {@link IDLE_LINGERS} lingers in a row saw no
 * element arrive, the next bundles are not coming meanwhile — a reader in lock-step waits for these
 * very writes to be acknowledged before it reads more (io/pubsub/pull_gate.ts) — and lingering only
 * delays them: the sink writes at once, lingering again every {@link LINGER_RETRY_AFTER} bundles to see.
 *
 * A destination may refuse some elements for good (an entry Bigtable rejects as invalid, a row no
 * retry can make valid): the write then resolves with those {@link RejectedElement}s instead of
 * failing the batch. With a `deadLetters` writer the sink turns each into a dead letter (the
 * element, the sink's step, the destination's reason) and the batch counts as written only once
 * they are written too — so the input is acknowledged only then, and a redelivered poison message
 * ends in the dead letters instead of failing the job again and again. Without one, a rejection
 * fails the write. Transient failures are the writer's to retry; a write that rejects fails the job.
 *
 * Each sink reports how far behind event time its writes land: the distribution
 * `writeLagMs/<step name>` (count, sum, min, max of "written at − element timestamp", for elements
 * with a real timestamp — not the global window's minimum), readable as any Beam distribution. Where
 * event time is the publish time, that is the publish → written latency; its quantiles, in the
 * process running the sink: write_lag_histogram.ts. A writer that retries
 * reports the rows it sends again, counted as `writeRetries/<step name>` (present once any was).
 *
 * It is an SDK operator of our own URN: our runner and the SDK's worker (hence Dataflow) run it alike.
 */
import * as beam from "apache-beam";
import { GeneralObjectCoder } from "apache-beam/coders/js_coders";
import * as operators from "apache-beam/worker/operators";
import { deserializeFn, serializeFn } from "apache-beam/internal/serialize";
import { requireForSerialization } from "apache-beam/serialization";
import type { PTransform as PTransformProto } from "apache-beam/proto/beam_runner_api";
import type { WindowedValue } from "apache-beam/values";
import type { Pipeline } from "apache-beam/internal/pipeline";
import { writeDeferrer } from "../sdk/deferred_writes";
import { recordWriteLags } from "./write_lag_histogram";
import type { DeadLetter } from "../transforms/dead_letter";

/** Name of the distribution of write lags of the sink at step `step` (see the module comment). */
export function writeLagMetricName(step: string): string {
  return `writeLagMs/${step}`;
}

/** Name of the counter of rows the sink at step `step` sent again after a transient failure. */
export function writeRetriesMetricName(step: string): string {
  return `writeRetries/${step}`;
}

/** Below this, a timestamp is the global window's minimum (or near it), not an event's time. */
const EARLIEST_REAL_TIMESTAMP_MS = -1e15;
/** Lingers in a row with no element added after which a partial batch is written at once (see the module comment). */
const IDLE_LINGERS = 3;
/** Bundles written at once before a partial batch lingers again, to see whether the next bundles come back. */
const LINGER_RETRY_AFTER = 20;

/** URN of a batching sink; the payload holds the serialized write function and settings. */
export const BATCHING_SINK_URN = "beam-ts-native:transform:batching_sink:v1";

/** An element of a batch that the destination can never store, and the destination's reason. */
export interface RejectedElement {
  /** Its index in the batch. */
  index: number;
  reason: string;
}

/**
 * Writes one batch; must be safe to call again with the same batch (writes are retried and replayed).
 * A writer that retries calls `retried` with the number of rows it sends again. Resolves with the
 * elements the destination refused for good, if any (the rest are written).
 */
export type BatchWriter<T> = (batch: T[], retried?: (rows: number) => void) => Promise<void | RejectedElement[]>;

/** Name of the counter of elements a sink at step `step` dead-lettered because its destination refused them. */
export function sinkDeadLettersMetricName(step: string): string {
  return `sinkDeadLetters/${step}`;
}

/** Settings of a batching sink. */
export interface BatchingSinkOptions {
  /** Elements per write (default 500). */
  batchSize?: number;
  /** Writes in flight at once before the sink pushes back (default 4). */
  maxInFlight?: number;
  /** Where the runner tracks durability: how long a partial batch may wait to be filled (default 50 ms). */
  lingerMs?: number;
  /** Where elements the destination refuses go (see the module comment); unset: a refusal fails the write. */
  deadLetters?: BatchWriter<DeadLetter>;
}

interface SinkPayload {
  write: BatchWriter<unknown>;
  batchSize: number;
  maxInFlight: number;
  lingerMs: number;
  deadLetters: BatchWriter<DeadLetter> | undefined;
}

/**
 * A sink writing its input in batches with `write`. `write` is serialized with the pipeline, like a
 * DoFn: it may capture constants and functions of registered modules, not live clients (create those
 * lazily inside it).
 */
export function writeInBatches<T>(
  name: string,
  write: BatchWriter<T>,
  options: BatchingSinkOptions = {},
): beam.PTransform<beam.PCollection<T>, beam.PCollection<never>> {
  const payload: SinkPayload = {
    write: write as BatchWriter<unknown>,
    batchSize: options.batchSize ?? 500,
    maxInFlight: options.maxInFlight ?? 4,
    lingerMs: options.lingerMs ?? 50,
    deadLetters: options.deadLetters,
  };
  if (!(payload.batchSize >= 1 && payload.maxInFlight >= 1)) {
    throw new Error(`${name}: batchSize and maxInFlight must be at least 1, got ${payload.batchSize} and ${payload.maxInFlight}`);
  }
  if (!(payload.lingerMs >= 0)) throw new Error(`${name}: lingerMs must be at least 0, got ${payload.lingerMs}`);
  return beam.withName(name, (input: beam.PCollection<T>, pipeline: Pipeline, transform: PTransformProto) => {
    transform.spec = { urn: BATCHING_SINK_URN, payload: serializeFn(payload) };
    return pipeline.createPCollectionInternal<never>(new GeneralObjectCoder());
  });
}

/** The sink as an SDK operator. */
export class BatchingSinkOperator implements operators.IOperator {
  private readonly settings: SinkPayload;
  private buffer: unknown[] = [];
  /** Timestamps (ms) of the buffered elements, in order. */
  private timestamps: number[] = [];
  private readonly step: string;
  private readonly writeLag: { update(value: number): void };
  /** Counts elements dead-lettered; its counter is made on the first, so jobs without any show none. */
  private readonly countDeadLettered: (elements: number) => void;
  /** Counts rows sent again; its counter is made on the first retry, so jobs without any show none. */
  private readonly countRetries: (rows: number) => void;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown = undefined;
  private readonly deferWrites: ((written: Promise<void>) => void) | undefined;
  /** The buffered batch's landing, promised to bundles that ended with it partial (deferred writes only). */
  private bufferLanded: { promise: Promise<void>; resolve: () => void } | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Lingers in a row that ended with no element added (see the module comment). */
  private idleLingers = 0;
  /** Bundles that wrote at once since the last linger. */
  private lingersSkipped = 0;

  constructor(
    readonly transformId: string,
    transform: PTransformProto,
    context: operators.OperatorContext,
  ) {
    this.settings = deserializeFn(transform.spec!.payload) as SinkPayload;
    this.deferWrites = writeDeferrer(context);
    const step = context.descriptor.transforms?.[transformId]?.uniqueName ?? transformId;
    this.step = step;
    this.writeLag = context.metricsContainer.getMetric(transformId, undefined, {
      metricType: "beam:metric:user:distribution_int64:v1",
      name: writeLagMetricName(step),
    }) as unknown as { update(value: number): void };
    this.countDeadLettered = lazyCounter(context, transformId, sinkDeadLettersMetricName(step));
    this.countRetries = lazyCounter(context, transformId, writeRetriesMetricName(step));
  }

  async startBundle(): Promise<void> {}

  process(element: WindowedValue<unknown>): operators.ProcessResult {
    if (this.failure !== undefined) throw this.failure;
    this.buffer.push(element.value);
    // Elements came while a partial batch lingered: lingering is worth it.
    if (this.lingerTimer !== undefined) this.idleLingers = 0;
    const timestamp = element.timestamp as unknown as number | { toNumber(): number };
    this.timestamps.push(typeof timestamp === "number" ? timestamp : timestamp.toNumber());
    if (this.buffer.length < this.settings.batchSize) return operators.NonPromise;
    this.flush();
    return this.inFlight.size >= this.settings.maxInFlight ? this.oneWriteDone() : operators.NonPromise;
  }

  async finishBundle(): Promise<void> {
    if (this.deferWrites === undefined) {
      if (this.buffer.length > 0) this.flush();
      return this.landed([...this.inFlight]);
    }
    const writes = [...this.inFlight];
    if (this.buffer.length > 0) {
      writes.push(this.whenBufferLands());
      if (this.lingerTimer === undefined) this.linger();
    }
    this.deferWrites(this.landed(writes));
  }

  /** The partial batch waits up to `lingerMs` for the next bundles — unless they have stopped coming meanwhile (see the module comment). */
  private linger(): void {
    if (this.idleLingers >= IDLE_LINGERS && this.lingersSkipped++ < LINGER_RETRY_AFTER) return this.flush();
    this.lingersSkipped = 0;
    const buffered = this.buffer.length;
    this.lingerTimer = setTimeout(() => {
      if (this.buffer.length === buffered) this.idleLingers++;
      this.flush();
    }, this.settings.lingerMs);
  }

  /** Resolves once `writes` have finished; rejects if any write has failed. */
  private async landed(writes: Promise<void>[]): Promise<void> {
    await Promise.all(writes);
    if (this.failure !== undefined) throw this.failure;
  }

  private whenBufferLands(): Promise<void> {
    if (this.bufferLanded === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.bufferLanded = { promise, resolve };
    }
    return this.bufferLanded.promise;
  }

  private flush(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const landed = this.bufferLanded;
    this.bufferLanded = undefined;
    if (this.buffer.length === 0) return landed?.resolve();
    const batch = this.buffer;
    const timestamps = this.timestamps;
    this.buffer = [];
    this.timestamps = [];
    const write: Promise<void> = this.settings
      .write(batch, this.countRetries)
      .then((rejected) => (rejected !== undefined && rejected.length > 0 ? this.deadLetter(batch, rejected) : undefined))
      .then(() => {
        const now = Date.now();
        const lags: number[] = [];
        for (const t of timestamps) if (t > EARLIEST_REAL_TIMESTAMP_MS) lags.push(Math.max(0, now - t));
        for (const lag of lags) this.writeLag.update(lag);
        recordWriteLags(this.step, lags);
      })
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.inFlight.delete(write);
        landed?.resolve();
      });
    this.inFlight.add(write);
  }

  /** Writes the refused elements of `batch` as dead letters (see the module comment). */
  private async deadLetter(batch: unknown[], rejected: RejectedElement[]): Promise<void> {
    const writer = this.settings.deadLetters;
    if (writer === undefined) {
      throw new Error(`${rejected.length} of ${batch.length} elements were refused: ${rejected[0].reason} (no dead-letter output given to the sink)`);
    }
    const timeMs = Date.now();
    const letters = rejected.map(({ index, reason }): DeadLetter => ({ input: elementText(batch[index]), step: this.step, reason, timeMs }));
    const refusedAgain = await writer(letters);
    if (refusedAgain !== undefined && refusedAgain.length > 0) {
      throw new Error(`the dead-letter output refused ${refusedAgain.length} dead letters: ${refusedAgain[0].reason}`);
    }
    this.countDeadLettered(rejected.length);
  }

  private async oneWriteDone(): Promise<void> {
    await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }
}

/** A counter of `transformId` named `name`, made on its first count, so that jobs without any show none. */
function lazyCounter(context: operators.OperatorContext, transformId: string, name: string): (n: number) => void {
  let counter: { update(value: number): void } | undefined;
  return (n) => {
    counter ??= context.metricsContainer.getMetric(transformId, undefined, { metricType: "beam:metric:user:sum_int64:v1", name }) as unknown as {
      update(value: number): void;
    };
    counter.update(n);
  };
}

/** A refused element as a dead letter's input: its JSON, or what JSON could not show of it. */
function elementText(element: unknown): string {
  try {
    return JSON.stringify(element) ?? String(element);
  } catch (error) {
    return `(an element JSON cannot show: ${(error as Error).message})`;
  }
}

operators.registerOperator(BATCHING_SINK_URN, BatchingSinkOperator);
requireForSerialization("beam-ts-native/io/batching_sink", exports);
