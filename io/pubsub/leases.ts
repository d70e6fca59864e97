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
  /** When Pub/Sub will redeliver it unless its deadline is extended again (processing time). */
  expiresAt: Millis;
}

/** How often leases due for an extension are looked for (ms). */
const EXTEND_CHECK_MS = 1_000;

export class Leases {
  private readonly held = new Map<string, Lease>();
  /** No lease has an earlier event time (commits below it have nothing to do). */
  private oldestHeld: Millis = Infinity;
  private heldBytes = 0;
  private readonly toAck: string[] = [];
  private acking: Promise<void> = Promise.resolve();
  private readonly extender: NodeJS.Timeout;
  /** The extension requests on their way (one round at a time: a slow server is not piled on). */
  private extending: Promise<void> | undefined;
  private acknowledgedCount = 0;
  /** Leases whose deadline passed before an extension landed: Pub/Sub redelivers those. */
  private expiredCount = 0;
  /** Publish time of the oldest message held, as of the last extension check. */
  private oldestPublishTime: Millis = Infinity;
  /** Publish → acknowledged (everything the message produced written), in 1 ms buckets. */
  private readonly ackLatency = new Map<number, number>();

  constructor(
    private readonly client: v1.SubscriberClient,
    private readonly subscription: string,
    private readonly ackDeadlineSeconds: number,
  ) {
    // Messages still being processed must not be redelivered to us: extend their deadlines.
    this.extender = setInterval(() => this.extendDeadlines(), EXTEND_CHECK_MS);
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

  /** Leases that expired while held (see {@link extendDeadlines}). */
  get expired(): number {
    return this.expiredCount;
  }

  /** Age of the oldest message held (now − its publish time), in ms; 0 when none is. */
  get oldestHeldAgeMs(): number {
    return this.held.size === 0 || this.oldestPublishTime === Infinity ? 0 : Math.max(0, Date.now() - this.oldestPublishTime);
  }

  /** Holds a message, pulled at `pulledAt`, until a commit passes its event time. */
  hold(ackId: string, eventTime: Millis, publishTime: Millis, bytes: number, pulledAt: Millis): void {
    this.held.set(ackId, { eventTime, publishTime, bytes, expiresAt: pulledAt + this.ackDeadlineSeconds * 1000 });
    if (publishTime < this.oldestPublishTime) this.oldestPublishTime = publishTime;
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
    await this.extending;
  }

  /**
   * The job ends: what is still held was not durably processed (the job failed or was cancelled), and
   * `unread` was never processed — both handed back rather than left to wait out their deadline.
   */
  async release(unread: string[]): Promise<void> {
    this.handBack([...this.held.keys(), ...unread]);
    await this.acking;
  }

  /**
   * Extends the deadlines of the leases due — those past half of their deadline — in batches, one
   * round of requests at a time, each lease's new expiry counted from when its request was sent. A
   * failed request leaves its leases due, so the next check sends them again. Extending only what
   * is due (not every lease every few seconds, all at once) keeps the requests proportional to the
   * rate messages come in, which matters when a backlog holds hundreds of thousands of leases: a
   * burst of extensions that the server answered late or not at all let deadlines lapse, and the
   * redeliveries that followed were a storm of their own.
   */
  private extendDeadlines(): void {
    const now = Date.now();
    const halfDeadline = (this.ackDeadlineSeconds * 1000) / 2;
    let oldestPublish = Infinity;
    const due: string[] = [];
    for (const [ackId, lease] of this.held) {
      if (lease.publishTime < oldestPublish) oldestPublish = lease.publishTime;
      if (lease.expiresAt === -Infinity) continue; // already counted as expired
      if (lease.expiresAt <= now) {
        this.expiredCount++;
        lease.expiresAt = -Infinity;
        continue;
      }
      if (lease.expiresAt - now < halfDeadline) due.push(ackId);
    }
    this.oldestPublishTime = oldestPublish;
    if (due.length === 0 || this.extending !== undefined) return;
    this.extending = this.extend(due, now).finally(() => (this.extending = undefined));
  }

  /** One round of extensions of `due`, sent at `sentAt`, a batch after the other. */
  private async extend(due: string[], sentAt: Millis): Promise<void> {
    for (let i = 0; i < due.length; i += ACK_BATCH) {
      const ackIds = due.slice(i, i + ACK_BATCH);
      const extended = await this.client
        .modifyAckDeadline({ subscription: this.subscription, ackIds, ackDeadlineSeconds: this.ackDeadlineSeconds })
        .then(() => true, () => false);
      if (extended) this.markExtended(ackIds, sentAt);
    }
  }

  private markExtended(ackIds: string[], sentAt: Millis): void {
    const expiresAt = sentAt + this.ackDeadlineSeconds * 1000;
    for (const ackId of ackIds) {
      const lease = this.held.get(ackId);
      if (lease !== undefined && lease.expiresAt !== -Infinity) lease.expiresAt = expiresAt;
    }
  }
}
