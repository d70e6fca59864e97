/**
 * The leases of a Pub/Sub source: every message pulled and not yet acknowledged, held until the
 * runner says everything derived from it is written (see `commit`), its ack deadline extended
 * meanwhile so that it is not redelivered to us; then acknowledged, in batches, one request at a
 * time. What the job cannot finish is handed back (deadline 0) for prompt redelivery. After a crash
 * every lease lapses and Pub/Sub redelivers: idempotent sinks absorb the replay.
 * (The same concern as nodejs-pubsub's lease manager, for unary pulls and a durability watermark.)
 *
 * Under a runner's checkpoints, a message whose contribution to a window's state a checkpoint holds
 * is *promised*: its id goes into every checkpoint until its acknowledgement has landed, and a
 * redelivered copy of a promised message — after a crash between the checkpoint and the
 * acknowledgement, or a lost acknowledgement — is acknowledged without being read again, so that the
 * window does not count it twice.
 */
import type { v1 } from "@google-cloud/pubsub";
import type { Millis } from "../../sdk/time";
import type { Outstanding } from "./puller";

/** Acknowledgement ids per acknowledge / modifyAckDeadline request. */
const ACK_BATCH = 2_500;

interface Lease {
  /** Pub/Sub's id of the message (the same on every delivery). */
  messageId: string;
  eventTime: Millis;
  publishTime: Millis;
  bytes: number;
  /** When Pub/Sub will redeliver it unless its deadline is extended again (processing time). */
  expiresAt: Millis;
  /** When it was pulled. */
  pulledAt: Millis;
  /** A checkpoint holds what it contributed (see the module comment). */
  promised: boolean;
}

/** How long the ids of promised messages a restarted job took back are kept when they never come back (ms): Pub/Sub redelivers within the longest ack deadline. */
const RESTORED_IDS_KEPT_MS = 2 * 600_000;

/** How often leases due for an extension are looked for (ms). */
const EXTEND_CHECK_MS = 1_000;
/** The longest ack deadline Pub/Sub accepts (s). */
const MAX_DEADLINE_SECONDS = 600;
/** Extension requests on the wire at once. */
const EXTENSIONS_IN_FLIGHT = 4;

export class Leases implements Outstanding {
  private readonly held = new Map<string, Lease>();
  /** No lease has an earlier event time (commits below it have nothing to do). */
  private oldestHeld: Millis = Infinity;
  private heldBytes = 0;
  private readonly toAck: string[] = [];
  /** Acknowledgements and hand-backs queued or on their way, not yet answered: still outstanding to the server. */
  private unanswered = 0;
  /** Who waits for nothing to be outstanding (the pull gate). */
  private readonly noneOutstanding = new Set<() => void>();
  private acking: Promise<void> = Promise.resolve();
  private readonly extender: NodeJS.Timeout;
  /** The extension requests on their way (one round at a time: a slow server is not piled on). */
  private extending: Promise<void> | undefined;
  private acknowledgedCount = 0;
  /** Leases whose deadline passed before an extension landed: Pub/Sub redelivers those. */
  private expiredCount = 0;
  /** Deadline extensions sent (modifyAckDeadline requests) and the leases they named. */
  private extensionRequests = 0;
  private extendedLeases = 0;
  /** Publish time of the oldest message held, as of the last extension check. */
  private oldestPublishTime: Millis = Infinity;
  /** Publish → acknowledged (everything the message produced written), in 1 ms buckets. */
  private readonly ackLatency = new Map<number, number>();
  /** {@link ackLatency}'s buckets in order, as of {@link sortedFor} acknowledgements. */
  private sortedLatency: Array<[number, number]> = [];
  private sortedFor = 0;
  /** Ids of promised messages whose acknowledgement has not landed, with when to forget them (Infinity: when it lands). */
  private readonly promisedIds = new Map<string, Millis>();
  /** Promised messages whose acknowledgement is on its way: ack id → message id. */
  private readonly ackingPromised = new Map<string, string>();

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

  /** Messages held, and those whose acknowledgement or hand-back has not been answered yet: what the server counts as outstanding. */
  get outstanding(): number {
    return this.held.size + this.unanswered;
  }

  /** Resolves once nothing is {@link outstanding} (at once if nothing is now), or after `maxWaitMs`. */
  whenNoneOutstanding(maxWaitMs: number): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.noneOutstanding.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      timer.unref();
      this.noneOutstanding.add(done);
    });
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

  /** Deadline extension requests sent so far, and the leases they named (cumulative). */
  get extensions(): { requests: number; leases: number } {
    return { requests: this.extensionRequests, leases: this.extendedLeases };
  }

  /** Age of the oldest message held (now − its publish time), in ms; 0 when none is. */
  get oldestHeldAgeMs(): number {
    return this.held.size === 0 || this.oldestPublishTime === Infinity ? 0 : Math.max(0, Date.now() - this.oldestPublishTime);
  }

  /**
   * Holds a message, pulled at `pulledAt`, until a commit passes its event time; `promised` when a
   * checkpoint already holds what it contributed (a redelivered copy: see {@link isPromised}).
   */
  hold(ackId: string, messageId: string, eventTime: Millis, publishTime: Millis, bytes: number, pulledAt: Millis, promised = false): void {
    const expiresAt = pulledAt + this.ackDeadlineSeconds * 1000;
    this.held.set(ackId, { messageId, eventTime, publishTime, bytes, expiresAt, pulledAt, promised });
    if (promised) this.promisedIds.set(messageId, Infinity);
    if (publishTime < this.oldestPublishTime) this.oldestPublishTime = publishTime;
    this.heldBytes += bytes;
    if (eventTime < this.oldestHeld) this.oldestHeld = eventTime;
  }

  /**
   * A checkpoint is being taken that holds what every message with event time before `durableBefore`
   * contributed: those become promised. Returns the ids of every promised message whose
   * acknowledgement has not landed (what the checkpoint must keep).
   */
  promise(durableBefore: Millis): string[] {
    const now = Date.now();
    for (const [id, forgetAt] of this.promisedIds) if (forgetAt <= now) this.promisedIds.delete(id);
    for (const lease of this.held.values()) {
      if (lease.promised || lease.eventTime >= durableBefore) continue;
      lease.promised = true;
      this.promisedIds.set(lease.messageId, Infinity);
    }
    return [...this.promisedIds.keys()];
  }

  /** A restarted job: the promised ids of the checkpoint it restarts from. */
  restorePromised(messageIds: string[]): void {
    const forgetAt = Date.now() + RESTORED_IDS_KEPT_MS;
    for (const id of messageIds) this.promisedIds.set(id, forgetAt);
  }

  /** Whether a checkpoint holds what message `messageId` contributed (a copy of it must not be read again). */
  isPromised(messageId: string): boolean {
    return this.promisedIds.has(messageId);
  }

  /** Acknowledges every message with event time before `durableBefore` (everything it produced is written). */
  commit(durableBefore: Millis): void {
    // Called every 100 ms while messages may wait a window's length: skip the scan when it would find nothing.
    if (durableBefore <= this.oldestHeld) return;
    const now = Date.now();
    let oldest = Infinity;
    for (const [ackId, { eventTime, publishTime, bytes, promised, messageId }] of this.held) {
      if (eventTime >= durableBefore) {
        if (eventTime < oldest) oldest = eventTime;
      } else {
        this.held.delete(ackId);
        this.heldBytes -= bytes;
        this.toAck.push(ackId);
        this.unanswered++;
        if (promised) this.ackingPromised.set(ackId, messageId);
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
    // Asked for with every progress report (the runner's stop check: once per bundle), while
    // acknowledgements come in bursts: the buckets are sorted again only once some came.
    if (this.sortedFor !== this.acknowledgedCount) {
      this.sortedLatency = [...this.ackLatency].sort((a, b) => a[0] - b[0]);
      this.sortedFor = this.acknowledgedCount;
    }
    let seen = 0;
    for (const [ms, n] of this.sortedLatency) {
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
        const batch = ackIds.slice(i, i + ACK_BATCH);
        await client
          .acknowledge({ subscription: this.subscription, ackIds: batch })
          .then(
            () => this.landed(batch),
            (error: Error) => {
              // A lost ack only means a redelivery, which idempotent sinks absorb; say so, don't fail.
              process.stderr.write(`warning: Pub/Sub acknowledge failed (${error.message}); those messages will be redelivered\n`);
            },
          )
          .finally(() => this.answered(batch.length));
      }
    });
  }

  /** Acknowledgements or hand-backs of `count` messages were answered: perhaps nothing is outstanding any more. */
  private answered(count: number): void {
    this.unanswered -= count;
    if (this.outstanding > 0) return;
    for (const done of [...this.noneOutstanding]) done();
  }

  /** Acknowledgements that landed: their promised messages need no keeping any more. */
  private landed(ackIds: string[]): void {
    if (this.ackingPromised.size === 0) return;
    for (const ackId of ackIds) {
      const messageId = this.ackingPromised.get(ackId);
      if (messageId === undefined) continue;
      this.ackingPromised.delete(ackId);
      this.promisedIds.delete(messageId);
    }
  }

  /** Gives messages back for prompt redelivery (deadline 0), after the acknowledgements before them. */
  handBack(ackIds: string[]): void {
    if (ackIds.length === 0) return;
    const client = this.client;
    this.unanswered += ackIds.length;
    this.acking = this.acking.then(() =>
      client
        .modifyAckDeadline({ subscription: this.subscription, ackIds, ackDeadlineSeconds: 0 })
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => this.answered(ackIds.length)),
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
   * Extends the deadlines of the leases due — those past half of their deadline — in batches, a few
   * requests at a time, one round after the other, each lease's new expiry counted from when its
   * request was sent. A failed request leaves its leases due, so the next check sends them again.
   *
   * A lease is extended by half of how long it has been held, from the subscription's own deadline
   * up to Pub/Sub's maximum (600 s), in powers of two: a message held for seconds comes back that
   * soon after a crash, and one held for minutes — behind a window with allowed lateness — costs a
   * request every few minutes instead of every few seconds. Extending everything held on a fixed
   * period made requests grow with the backlog: with 300,000 leases on a loaded emulator the rounds
   * took longer than the deadline, tens of thousands lapsed, and their redeliveries were a storm.
   */
  private extendDeadlines(): void {
    const now = Date.now();
    let oldestPublish = Infinity;
    const due = new Map<number, string[]>();
    for (const [ackId, lease] of this.held) {
      if (lease.publishTime < oldestPublish) oldestPublish = lease.publishTime;
      if (lease.expiresAt === -Infinity) continue; // already counted as expired
      if (lease.expiresAt <= now) {
        this.expiredCount++;
        lease.expiresAt = -Infinity;
        continue;
      }
      const deadline = this.extensionSeconds(now - lease.pulledAt);
      if (lease.expiresAt - now < (this.ackDeadlineSeconds * 1000) / 2) {
        const ids = due.get(deadline);
        if (ids === undefined) due.set(deadline, [ackId]);
        else ids.push(ackId);
      }
    }
    this.oldestPublishTime = oldestPublish;
    if (due.size === 0 || this.extending !== undefined) return;
    const requests: Array<{ ackIds: string[]; seconds: number }> = [];
    for (const [seconds, ids] of due) for (let i = 0; i < ids.length; i += ACK_BATCH) requests.push({ ackIds: ids.slice(i, i + ACK_BATCH), seconds });
    const lanes = Array.from({ length: Math.min(EXTENSIONS_IN_FLIGHT, requests.length) }, () => this.extendEach(requests, now));
    this.extending = Promise.all(lanes).then(() => undefined).finally(() => (this.extending = undefined));
  }

  /** The deadline a lease held for `heldMs` is extended by (see {@link extendDeadlines}). */
  private extensionSeconds(heldMs: number): number {
    let seconds = this.ackDeadlineSeconds;
    while (seconds * 2 <= heldMs / 2000 && seconds * 2 <= MAX_DEADLINE_SECONDS) seconds *= 2;
    return Math.min(seconds, MAX_DEADLINE_SECONDS);
  }

  /** Sends the extension requests of `queue` one after the other, taking each from the shared queue. */
  private async extendEach(queue: Array<{ ackIds: string[]; seconds: number }>, sentAt: Millis): Promise<void> {
    for (let request = queue.shift(); request !== undefined; request = queue.shift()) {
      const { ackIds, seconds } = request;
      this.extensionRequests++;
      this.extendedLeases += ackIds.length;
      const extended = await this.client
        .modifyAckDeadline({ subscription: this.subscription, ackIds, ackDeadlineSeconds: seconds })
        .then(() => true, () => false);
      if (extended) this.markExtended(ackIds, sentAt, seconds);
    }
  }

  private markExtended(ackIds: string[], sentAt: Millis, seconds: number): void {
    const expiresAt = sentAt + seconds * 1000;
    for (const ackId of ackIds) {
      const lease = this.held.get(ackId);
      if (lease !== undefined && lease.expiresAt !== -Infinity) lease.expiresAt = expiresAt;
    }
  }
}
