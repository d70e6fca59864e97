/**
 * Checkpoints: the link of the ack chain (durability.ts) that lets an accumulating window's input be
 * acknowledged long before the window expires. Without it, a message that went into such a window
 * must stay unacknowledged until the window's last pane is written — with minute windows and ten
 * minutes of allowed lateness, eleven minutes of the stream held at once, which under overload is
 * a million messages and a Pub/Sub server slowed to a crawl. With it, as Dataflow does with its
 * persisted state, a message is acknowledged once what it contributed is in a checkpoint on disk.
 *
 * A cycle, at most every {@link CHECKPOINT_INTERVAL_MS} while the job runs, and once at its end:
 * 1. the frontier: the lowest durability hold of everything but the checkpointed panes (queues, the
 *    bundle in flight, writes landing, other groupings): input older than it has been processed by
 *    every step and written by every sink, except for what it added to those panes;
 * 2. each checkpointed grouping commits its panes' contributions below the frontier into their
 *    committed accumulators (grouping.ts), and each source says what it must get back if the job
 *    restarts from here (for Pub/Sub: the ids of the messages this makes durable whose
 *    acknowledgement may not have landed, so that a redelivered one is not counted twice);
 * 3. the checkpoint is written (checkpoint_store.ts); until it is on disk the lowest hold committed
 *    stays in the durability watermark ({@link Checkpoints.hold}), then sources are told again.
 * A job started with the same directory takes the panes and the sources' state back before it reads.
 */
import type { Clock } from "../../../sdk/clock";
import type { StreamSource } from "../../../sdk/stream_source";
import type { Millis } from "../../../sdk/time";
import type { Checkpoint, CheckpointStore } from "./checkpoint_store";
import { commitFrontier, type Grouping } from "./grouping";

/** How often, at most, a checkpoint is taken while the job runs (ms): the least time to an acknowledgement of a windowed message. */
export const CHECKPOINT_INTERVAL_MS = 500;

/** What a checkpoint covers. */
export interface CheckpointedParts {
  /** Checkpointed groupings, by stage id. */
  groupings: Array<{ id: string; grouping: Grouping }>;
  /** Sources, by stage name. */
  sources: Array<{ name: string; source: StreamSource }>;
}

export class Checkpoints {
  private writing: Promise<void> | undefined;
  private committingHold: Millis = Infinity;
  private lastStarted = 0;

  constructor(
    private readonly store: CheckpointStore,
    private readonly parts: CheckpointedParts,
    /** The lowest durability hold of everything but the checkpointed panes (the frontier). */
    private readonly frontier: () => Millis,
    /** A checkpoint landed: sources may be told the durability watermark again. */
    private readonly landed: () => void,
    /** Reports a failed write (the job fails at the engine's next step). */
    private readonly fail: (error: unknown) => void,
  ) {}

  /** The lowest durability hold committed into a checkpoint not yet on disk (+Infinity when none). */
  get hold(): Millis {
    return this.committingHold;
  }

  /** Takes back the last checkpoint, if there is one: before the job reads anything. */
  restore(clock: Clock): void {
    const checkpoint = this.store.load();
    if (checkpoint === undefined) return;
    for (const { id, grouping } of this.parts.groupings) grouping.restore(checkpoint.groupings[id] ?? [], clock);
    for (const { name, source } of this.parts.sources) {
      if (checkpoint.sources[name] !== undefined) source.restore?.(checkpoint.sources[name]);
    }
  }

  /**
   * Starts a checkpoint unless one is being written or the last started less than the interval ago
   * — or, `awaited` (a source reads nothing more until its input is committed), at once.
   */
  checkpointIfDue(awaited = false): void {
    if (this.writing !== undefined || (!awaited && Date.now() - this.lastStarted < CHECKPOINT_INTERVAL_MS)) return;
    this.take(false);
  }

  /** The end of the job: after the one being written, a last one (the panes all fired and expired by now). */
  async final(): Promise<void> {
    await this.writing;
    await this.take(true);
  }

  private take(always: boolean): Promise<void> | undefined {
    this.lastStarted = Date.now();
    // Panes commit whole slots of contributions: the sources are told the same, lower, frontier.
    const frontier = commitFrontier(this.frontier());
    let lowest = Infinity;
    for (const { grouping } of this.parts.groupings) lowest = Math.min(lowest, grouping.commit(frontier));
    // Nothing new committed: the checkpoint on disk still says all there is to say.
    if (lowest === Infinity && !always) return undefined;
    const checkpoint: Checkpoint = {
      version: 1,
      groupings: Object.fromEntries(this.parts.groupings.map(({ id, grouping }) => [id, grouping.snapshot()])),
      sources: Object.fromEntries(this.parts.sources.flatMap(({ name, source }) => (source.checkpoint ? [[name, source.checkpoint(frontier)]] : []))),
    };
    this.committingHold = lowest;
    const writing = this.store.save(checkpoint).then(
      () => {
        this.committingHold = Infinity;
        this.writing = undefined;
        this.landed();
      },
      (error: unknown) => {
        this.writing = undefined;
        this.fail(new Error(`checkpoint to ${this.store.dir} failed: ${(error as Error).message}`, { cause: error }));
      },
    );
    this.writing = writing;
    return writing;
  }
}
