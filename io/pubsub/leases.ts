/**
 * The leases of a Pub/Sub source: every message pulled and not yet acknowledged, held until the
 * runner says everything derived from it is written (see `commit`), its ack deadline extended
 * meanwhile so that it is not redelivered to us; then acknowledged, in batches, one request at a
 * time. What the job cannot finish is handed back (deadline 0) for prompt redelivery. After a crash
 * every lease lapses and Pub/Sub redelivers: idempotent sinks absorb the replay.
 * (The same concern as nodejs-pubsub's lease manager, for unary pulls and a durability watermark.)
 */
import type { v1 } from "@google-cloud/pubsub";
import type { Millis } from "../../sdk/time";

/** Acknowledgement ids per acknowledge / modifyAckDeadline request. */
const ACK_BATCH = 2_500;

interface Lease {
  eventTime: Millis;
  publishTime: Millis;
  bytes: number;
}

export class Leases {
  private readonly held = new Map<string, Lease>();
  /** No lease has an earlier event time (commits below it have nothing to do). */
  private oldestHeld: Millis = Infinity;
  private heldBytes = 0;
  private readonly toAck: string[] = [];
  private acking: Promise<void> = Promise.resolve();
  private readonly extender: NodeJS.Timeout;
  private acknowledgedCount = 0;
  /** Publish → acknowledged (everything the message produced written), in 1 ms buckets. */
  private readonly ackLatency = new Map<number, number>();

  constructor(
    private readonly client: v1.SubscriberClient,
    private readonly subscription: string,
    private readonly ackDeadlineSeconds: number,
  ) {
    // Messages still being processed must not be redelivered to us: extend their deadlines.
    this.extender = setInterval(() => this.extendDeadlines(), (ackDeadlineSeconds * 1000) / 3);
    this.extender.unref();
  }

  /** Messages held. */
  get size(): number {
    return this.held.size;
  }

  /** Payload bytes held. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Messages acknowledged after the runner committed them. */
  get acknowledged(): number {
    return this.acknowledgedCount;
  }

  /** Holds a message until a commit passes its event time. */
  hold(ackId: string, eventTime: Millis, publishTime: Millis, bytes: number): void {
    this.held.set(ackId, { eventTime, publishTime, bytes });
    this.heldBytes += bytes;
    if (eventTime < this.oldestHeld) this.oldestHeld = eventTime;
  }

  /** Acknowledges every message with event time before `durableBefore` (everything it produced is written). */
  commit(durableBefore: Millis): void {
    // Called every 100 ms while messages may wait a window's length: skip the scan when it would find nothing.
    if (durableBefore <= this.oldestHeld) return;
    const now = Date.now();
    let oldest = Infinity;
    for (const [ackId, { eventTime, publishTime, bytes }] of this.held) {
      if (eventTime >= durableBefore) {
        if (eventTime < oldest) oldest = eventTime;
      } else {
        this.held.delete(ackId);
        this.heldBytes -= bytes;
        this.toAck.push(ackId);
        this.acknowledgedCount++;
        const latency = Math.max(0, now - publishTime);
        this.ackLatency.set(latency, (this.ackLatency.get(latency) ?? 0) + 1);
      }
    }
    this.oldestHeld = oldest;
    this.flush();
  }

  /** The `p` quantile of publish → acknowledged, in ms (NaN before any). */
  ackLatencyQuantile(p: number): number {
    let seen = 0;
    for (const [ms, n] of [...this.ackLatency].sort((a, b) => a[0] - b[0])) {
      seen += n;
      if (seen >= p * this.acknowledgedCount) return ms;
    }
    return NaN;
  }

  /** Sends queued acknowledgements, one request at a time, in order. */
  flush(): void {
    if (this.toAck.length === 0) return;
    const client = this.client;
    const ackIds = this.toAck.splice(0);
    this.acking = this.acking.then(async () => {
      for (let i = 0; i < ackIds.length; i += ACK_BATCH) {
        await client.acknowledge({ subscription: this.subscription, ackIds: ackIds.slice(i, i + ACK_BATCH) }).catch((error: Error) => {
          // A lost ack only means a redelivery, which idempotent sinks absorb; say so, don't fail.
          process.stderr.write(`warning: Pub/Sub acknowledge failed (${error.message}); those messages will be redelivered\n`);
        });
      }
    });
  }

  /** Gives messages back for prompt redelivery (deadline 0), after the acknowledgements before them. */
  handBack(ackIds: string[]): void {
    if (ackIds.length === 0) return;
    const client = this.client;
    this.acking = this.acking.then(() =>
      client.modifyAckDeadline({ subscription: this.subscription, ackIds, ackDeadlineSeconds: 0 }).then(
        () => undefined,
        () => undefined,
      ),
    );
  }

  /** Stops extending; sends what is queued; waits for the requests on their way. */
  async settle(): Promise<void> {
    clearInterval(this.extender);
    this.flush();
    await this.acking;
  }

  /**
   * The job ends: what is still held was not durably processed (the job failed or was cancelled), and
   * `unread` was never processed — both handed back rather than left to wait out their deadline.
   */
  async release(unread: string[]): Promise<void> {
    this.handBack([...this.held.keys(), ...unread]);
    await this.acking;
  }

  private extendDeadlines(): void {
    const ackIds = [...this.held.keys()];
    for (let i = 0; i < ackIds.length; i += ACK_BATCH) {
      this.client
        .modifyAckDeadline({ subscription: this.subscription, ackIds: ackIds.slice(i, i + ACK_BATCH), ackDeadlineSeconds: this.ackDeadlineSeconds })
        .catch(() => undefined);
    }
  }
}
