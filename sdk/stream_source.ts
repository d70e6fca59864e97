/**
 * The contract between a runner and the sources it reads besides the impulse (a TestStream's script,
 * a live subscription), and the table of their constructors by URN. It lives in sdk/ because both
 * sides see sdk/ and neither sees the other: a connector in io/ implements a StreamSource and
 * registers its constructor here when its module loads; the runner looks the URN up here and never
 * imports io/.
 *
 * A scripted source is asked to move only when everything else is quiescent, which is what gives a
 * TestStream its meaning (each event is fully processed before the next). A live source that reads
 * ahead is also asked while bundles run, whenever little of its input is waiting, so that its I/O
 * (a pull) overlaps the processing and writing of what it read before; at most one of its advances is
 * in flight at any time, and none while a good bundle's worth of its input is already waiting.
 */
import type { WindowedValue } from "apache-beam/values";
import type { Clock } from "./clock";
import type { Millis } from "./time";

export interface StreamSource {
  /**
   * True for a live source whose advance may run while bundles run (it reads ahead). Its elements and
   * watermark then change between bundles, never during one's synchronous part.
   */
  readonly readsAhead?: boolean;
  /**
   * True while the source holds its next read until what it has read is committed (a Pub/Sub reader
   * whose server makes overlapped pulls slow: io/pubsub/pull_gate.ts): the runner should make that
   * input durable and commit it without waiting for its usual intervals, for nothing more is read
   * until then.
   */
  readonly awaitingCommit?: boolean;
  /** The source's output watermark: no element it emits later will be earlier than this. */
  readonly watermark: Millis;
  /** True once the source will produce nothing more; its watermark is then +Infinity. */
  readonly finished: boolean;
  /**
   * Called when the engine has nothing else to do. Emits elements through `emit` and/or moves the
   * watermark, and resolves true if anything changed. A scripted source performs its next step; a live
   * source waits for data, but no later than processing time `deadline` (resolving false if nothing came).
   */
  advance(emit: (element: WindowedValue<unknown>) => void, deadline: Millis): Promise<boolean>;
  /** Draining: stop reading; the source finishes (what was already emitted is still processed). */
  stop(): void;
  /**
   * Everything derived from this source's input with event time before `durableBefore` has been
   * processed and written by every sink: it may be acknowledged. Called often; must not block.
   */
  commit?(durableBefore: Millis): void;
  /**
   * The runner is checkpointing its state (its `checkpointDir`), which now holds what derives from
   * this source's input with event time before `durableBefore`: returns what the source must get
   * back (JSON) if the job restarts from this checkpoint — for Pub/Sub, the messages made durable whose
   * acknowledgement may not have landed, so that they are not counted again when redelivered.
   */
  checkpoint?(durableBefore: Millis): unknown;
  /** The job restarts from a checkpoint: what {@link checkpoint} returned when it was taken (before any read). */
  restore?(state: unknown): void;
  /** The job is ending (done, drained or failed): finish outstanding acknowledgements, release resources. */
  close?(): Promise<void>;
  /** Figures worth showing (acknowledged, duplicates, latency…), by name. */
  report?(): Record<string, number>;
  /**
   * Since when the source has known its input to be empty (a subscription that answered "nothing"
   * every time since), or undefined while it is not — or cannot tell, its reads failing or stalled.
   * What an idle stop condition waits on; a source without it is idle since its last element.
   */
  idleSince?(): Millis | undefined;
}

/** What a source's constructor gets from the runner besides its transform's payload. */
export interface SourceEnvironment {
  /** The job's processing-time clock (the wall clock, or a TestStream's manual one). */
  clock: Clock;
}

/** Builds the source of one transform from its `spec.payload`. */
export type StreamSourceConstructor = (payload: Uint8Array, environment: SourceEnvironment) => StreamSource;

const constructors = new Map<string, StreamSourceConstructor>();

/** Makes `urn` a source: a runner that meets a transform with this URN builds its source with `construct`. */
export function registerStreamSource(urn: string, construct: StreamSourceConstructor): void {
  const known = constructors.get(urn);
  if (known !== undefined && known !== construct) throw new Error(`a different source is already registered for URN ${urn}`);
  constructors.set(urn, construct);
}

/** The constructor registered for `urn`, if any. */
export function streamSourceConstructor(urn: string): StreamSourceConstructor | undefined {
  return constructors.get(urn);
}

/** The URNs sources are registered for, now (modules register as they load). */
export function registeredSourceUrns(): string[] {
  return [...constructors.keys()];
}
