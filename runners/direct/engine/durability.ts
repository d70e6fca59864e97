/**
 * Durability: when source input may be acknowledged. This file owns the chain; its links are
 * elsewhere only where the data they mark lives.
 *
 * 1. A source emits an element (`io/pubsub/source.ts`): the element's event time is its durability
 *    hold, and the source leases the message (`io/pubsub/leases.ts`) instead of acknowledging it.
 * 2. Every element queued for a stage (`element_queue.ts`) and every open pane of a grouping
 *    (`grouping.ts`) carries the lowest hold of the source input it derives from; whatever a bundle
 *    emits carries the bundle's hold ({@link Durability.emitting}, set by the engine around each bundle).
 * 3. A sink does not await its writes in `finishBundle` when the runner offers `deferWrites`
 *    (`sdk/deferred_writes.ts`, used by `io/batching_sink.ts`); the stage collects them
 *    (`execution/fused_stage.ts`) into the bundle's {@link BundleOutcome}, and the bundle's hold stays
 *    here ({@link Durability.holdUntilLanded}) until they land, while the next bundles run. In an
 *    SDK worker process (`execution/fn_api/`) there is no `deferWrites`: the sink awaits its writes
 *    in `finishBundle`, the worker answers only then, and the bundle is in flight until it does.
 * 4. The durability watermark is the lowest hold of all of that: queues, open panes, the bundle in
 *    flight, writes landing. Source input older than it has been processed by every step and written by
 *    every sink.
 * 5. Sources are told it ({@link Durability.commit}: every 100 ms while bundles run — at once while a
 *    source awaits it, `StreamSource.awaitingCommit` —, whenever writes land, when the engine falls
 *    quiescent, and at the end); the Pub/Sub source then acknowledges
 *    every leased message older than it. A failed write fails the job; the job ends only once every
 *    write has landed.
 * 6. With a checkpoint store (the runner's `checkpointDir`), accumulating panes hold only what was
 *    added to them since the last checkpoint, not everything until their window expires
 *    (checkpoints.ts); what a checkpoint being written commits stays held until it is on disk.
 */
import type { Clock } from "../../../sdk/clock";
import type { StreamSource } from "../../../sdk/stream_source";
import type { Millis } from "../../../sdk/time";
import type { CheckpointStore } from "./checkpoint_store";
import { type CheckpointedParts, Checkpoints } from "./checkpoints";

/** What a bundle leaves behind when it ends: writes of its sinks still on their way, if any. */
export interface BundleOutcome {
  /** Resolves once they have all landed; rejects (failing the job) if one failed. */
  written: Promise<void>;
}

/** How often, at most, sources are told the durability watermark while bundles keep running (ms). */
const COMMIT_INTERVAL_MS = 100;

export class Durability {
  /** Writes bundles left behind, each with the durability hold of its bundle, until they land. */
  private readonly landing = new Map<Promise<void>, Millis>();
  /** The durability hold of the bundle running now (bundles run one at a time): what it emits carries it. */
  emitting: Millis = Infinity;
  private lastCommit = 0;
  private readonly checkpoints: Checkpoints | undefined;

  constructor(
    /** The sources to tell. */
    private readonly sources: () => StreamSource[],
    /**
     * The lowest hold of what the stages hold: queues, open panes, the bundle in flight; with
     * `exceptCheckpointed`, leaving out the panes of checkpointed groupings.
     */
    private readonly heldByStages: (exceptCheckpointed: boolean) => Millis,
    /** Reports a failed write (the job fails at the engine's next step). */
    private readonly fail: (error: unknown) => void,
    /** Where checkpoints go, and what they cover (none: panes hold their input until they expire). */
    checkpointing?: { store: CheckpointStore; parts: CheckpointedParts },
  ) {
    if (checkpointing !== undefined) {
      const frontier = () => Math.min(this.heldByStages(true), this.landingHold());
      this.checkpoints = new Checkpoints(checkpointing.store, checkpointing.parts, frontier, () => this.commit(), fail);
    }
  }

  /** Takes back the last checkpoint, if checkpointing and there is one (before anything is read). */
  restore(clock: Clock): void {
    this.checkpoints?.restore(clock);
  }

  /** Keeps `durability` in the durability watermark until `written` resolves; a rejection fails the job. */
  holdUntilLanded(written: Promise<void>, durability: Millis): void {
    this.landing.set(written, durability);
    written.then(
      () => {
        this.landing.delete(written);
        // Acknowledge promptly, even while the loop waits for a source. (A checkpoint taken during
        // a bundle commits nothing of it: the bundle's hold is in the frontier.)
        this.checkpoints?.checkpointIfDue(this.commitAwaited());
        this.commit();
      },
      (error: unknown) => this.fail(error),
    );
  }

  /** The oldest source input not yet durably processed; +Infinity when none. */
  watermark(): Millis {
    return Math.min(this.heldByStages(false), this.landingHold(), this.checkpoints?.hold ?? Infinity);
  }

  private landingHold(): Millis {
    let min = Infinity;
    for (const hold of this.landing.values()) if (hold < min) min = hold;
    return min;
  }

  /** Tells sources what they may acknowledge. */
  commit(): void {
    this.lastCommit = Date.now();
    const sources = this.sources();
    if (sources.length === 0) return;
    const durable = this.watermark();
    for (const source of sources) source.commit?.(durable);
  }

  /**
   * {@link commit}, unless sources were told less than {@link COMMIT_INTERVAL_MS} ago; a checkpoint when
   * one is due. Neither waits for its interval while a source awaits its commit (StreamSource.awaitingCommit).
   */
  commitIfDue(): void {
    const awaited = this.commitAwaited();
    this.checkpoints?.checkpointIfDue(awaited);
    if (awaited || Date.now() - this.lastCommit > COMMIT_INTERVAL_MS) this.commit();
  }

  /** Whether a source reads nothing more until its input is committed. */
  private commitAwaited(): boolean {
    return this.sources().some((source) => source.awaitingCommit === true);
  }

  /**
   * The end of the job: waits for writes still landing (each bounded by its stage's stall timeout),
   * throwing the job's failure if one came, takes the last checkpoint, then acknowledges.
   */
  async landAll(failure: () => unknown): Promise<void> {
    while (this.landing.size > 0) {
      await Promise.race(this.landing.keys()).catch(() => undefined);
      const error = failure();
      if (error !== undefined) throw error;
    }
    await this.checkpoints?.final();
    const error = failure();
    if (error !== undefined) throw error;
    this.commit();
  }
}
