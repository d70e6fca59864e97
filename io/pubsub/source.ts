/**
 * The live source behind `beam:transform:pubsub_read:v1` (registered by ./read.ts), on the official client.
 *
 * Pulling: a few unary pulls on the wire at once (see PubSubPuller for why and how many). The source
 * reads ahead: its next pulls are on the wire while the bundles of the previous ones run and write,
 * and it is not asked for more while two bundles' worth wait (see Engine), so what waits in memory is
 * bounded. Messages may still wait for their
 * acknowledgement — behind a window that has not closed — but pausing the pulls for them would stall
 * the watermark that closes those windows: a deadlock. Instead their number and bytes are capped, and
 * past the cap the job fails saying why (a job whose windows hold more than that needs a shorter
 * lateness or a bigger cap), rather than hang.
 *
 * Acknowledging: only once the engine's durability watermark says everything derived from a message
 * — rows, dead letters, the windowed aggregates it is part of — has been written by every sink. Until
 * then the message's ack deadline is extended; after a crash it is redelivered, and idempotent sinks
 * make the replay harmless.
 *
 * Event time: the `timestampAttribute` (RFC 3339 or epoch milliseconds, read strictly: ./message.ts),
 * else the publish time.
 * Pub/Sub delivers in no particular order and shows no backlog to a puller, so the watermark is an
 * estimate (as it is on Dataflow): the newest event time seen minus the tolerated out-of-orderness
 * while messages flow, and the newest event time itself once pulls come back empty for a while (no
 * backlog), so that open windows close on an idle stream. Messages older than the estimate are late:
 * within the allowed lateness they correct their window, beyond it they are dropped and counted.
 */
import { hash } from "crypto";
import { v1, protos } from "@google-cloud/pubsub";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { GlobalWindow, WindowedValue } from "apache-beam/values";
import type { StreamSource } from "../../sdk/stream_source";
import { Millis, NO_FIRING, toInstant } from "../../sdk/time";
import { pubsubClientOptions } from "./client";
import { Leases } from "./leases";
import { elementOf, eventTimeOf } from "./message";
import { publishTimeOf } from "./publish_time";
import { PubSubPuller } from "./puller";

/** Flow control and timing of a Pub/Sub source. */
export interface PubSubSourceLimits {
  maxOutstandingMessages: number;
  maxOutstandingBytes: number;
  /** Ack deadline of the subscription the job creates when reading a topic (an existing subscription keeps its own). */
  ackDeadlineSeconds: number;
  /** How long pulls must come back empty before the watermark moves up to the newest event time. */
  idleWatermarkMs: number;
  /** How far behind the newest event time seen a message may arrive and still be on time. */
  outOfOrdernessMs: number;
}

export const DEFAULT_PUBSUB_LIMITS: PubSubSourceLimits = {
  maxOutstandingMessages: 2_000_000,
  maxOutstandingBytes: 2 * 2 ** 30,
  ackDeadlineSeconds: 60,
  idleWatermarkMs: 2_000,
  outOfOrdernessMs: 60_000,
};

/** Message ids remembered for `idAttribute` deduplication. */
const RETAINED_IDS = 200_000;

/** What a connected source talks to. */
interface Connection {
  client: v1.SubscriberClient;
  subscription: string;
  createdSubscription: boolean;
  puller: PubSubPuller;
  leases: Leases;
}

export class PubSubSource implements StreamSource {
  private connection: Connection | undefined;
  /** Ids seen (`idAttribute`), with a digest of the payload and the message that first carried them. */
  private readonly seenIds = new Map<string, { digest: string; messageId: string }>();
  private currentWatermark: Millis = -Infinity;
  private newestEventTime: Millis = -Infinity;
  private emptySince: Millis | undefined;
  private stopped = false;
  /** Messages dropped because their id and payload were already seen (they are acknowledged). */
  private duplicates = 0;
  /** Publish time of the last message pulled. */
  private lastPublishTime: Millis | undefined;
  /** Promised ids of the checkpoint the job restarted from (handed to the leases once connected). */
  private restored: string[] = [];
  /** Copies of messages a checkpoint already held, acknowledged without being read again. */
  private redeliveredDurable = 0;

  constructor(
    private readonly read: runnerApi.PubSubReadPayload,
    private readonly projectId: string,
    private readonly limits: PubSubSourceLimits = DEFAULT_PUBSUB_LIMITS,
  ) {}

  readonly readsAhead = true;

  get watermark(): Millis {
    return this.currentWatermark;
  }

  get finished(): boolean {
    return this.stopped;
  }

  /** The pull gate holds the next pull until what was read is acknowledged (./pull_gate.ts). */
  get awaitingCommit(): boolean {
    return this.connection?.puller.holdingBack ?? false;
  }

  async advance(emit: (element: WindowedValue<unknown>) => void, deadline: Millis): Promise<boolean> {
    if (this.stopped) return false;
    const { puller, leases, subscription } = await this.connect();
    if (leases.size >= this.limits.maxOutstandingMessages || leases.bytes >= this.limits.maxOutstandingBytes) {
      throw new Error(
        `Pub/Sub read from ${subscription}: ${leases.size} messages (${leases.bytes} bytes) are waiting for ` +
          `their windows to close before they can be acknowledged, past the limit of ${this.limits.maxOutstandingMessages} messages / ` +
          `${this.limits.maxOutstandingBytes} bytes. Shorten the windows or the allowed lateness, or raise the limits.`,
      );
    }
    const received = await puller.next(deadline);
    if (this.stopped) {
      // Drained while pulling: hand these back for prompt redelivery rather than process them.
      leases.handBack(received.map((m) => m.ackId!));
      return false;
    }
    // Nothing because the pull gate holds the next pull for acknowledgements (./pull_gate.ts): that
    // says nothing about the subscription, and the caller gets control back to commit them.
    if (received.length === 0) return puller.holdingBack ? false : this.idle();
    this.emptySince = undefined;
    const pulledAt = Date.now();
    for (const { ackId, message } of received) {
      const { eventTime, refusal } = eventTimeOf(message!, this.read);
      const bytes = message!.data?.length ?? 0;
      const seen = this.seen(message!);
      const publishTime = publishTimeOf(message!);
      this.lastPublishTime = publishTime;
      // A checkpoint of the runner already holds what this one contributed: acknowledged, not read again.
      const promised = leases.isPromised(message!.messageId ?? "");
      leases.hold(ackId!, message!.messageId ?? "", eventTime, publishTime, bytes, pulledAt, promised);
      if (promised) {
        this.redeliveredDurable++;
        continue;
      }
      // A duplicate is acknowledged with the messages around it, not at once: acknowledging a
      // redelivered copy acknowledges the message, whose first copy may not be written yet.
      if (seen === "duplicate") continue;
      this.newestEventTime = Math.max(this.newestEventTime, eventTime);
      const why = seen === "conflict" ? this.conflictReason(message!) : refusal;
      emit({ value: elementOf(message!, this.read, why), windows: [new GlobalWindow()], timestamp: toInstant(eventTime), pane: NO_FIRING });
    }
    this.currentWatermark = Math.max(this.currentWatermark, this.newestEventTime - this.limits.outOfOrdernessMs);
    leases.flush();
    return true;
  }

  commit(durableBefore: Millis): void {
    this.connection?.leases.commit(durableBefore);
  }

  checkpoint(durableBefore: Millis): unknown {
    return { promised: this.connection?.leases.promise(durableBefore) ?? this.restored };
  }

  restore(state: unknown): void {
    this.restored = (state as { promised?: string[] }).promised ?? [];
  }

  /**
   * Acknowledged and duplicate messages, what is outstanding (held, not yet acknowledged), how far
   * behind publishing the reads are (`readLagMs`: now − the publish time of the last message pulled,
   * 0 once pulls answer empty — Dataflow's "data freshness"; a subscriber sees no backlog count, but
   * a growing read lag is one), the age of the oldest unacknowledged message (`oldestUnackedAgeMs`:
   * the oldest held, and until pulls answer empty at least the read lag — the next message the server
   * hands out was published about when the last one pulled was; so a reader in lock-step, holding
   * nothing between two pulls, does not show 0 over a backlog of minutes), leases that lapsed,
   * deadline extensions sent, what the pulls did (PullStats, with the pull gate's mode and
   * latencies), and publish → acknowledged latency.
   */
  report(): Record<string, number> {
    const leases = this.connection?.leases;
    const answeredEmpty = this.connection?.puller.answeredEmpty ?? true;
    const readLagMs = this.lastPublishTime === undefined || answeredEmpty ? 0 : Math.max(0, Date.now() - this.lastPublishTime);
    return {
      acknowledged: leases?.acknowledged ?? 0,
      duplicates: this.duplicates,
      redeliveredDurable: this.redeliveredDurable,
      outstanding: leases?.size ?? 0,
      oldestUnackedAgeMs: Math.max(leases?.oldestHeldAgeMs ?? 0, readLagMs),
      readLagMs,
      leasesExpired: leases?.expired ?? 0,
      extensionRequests: leases?.extensions.requests ?? 0,
      extendedLeases: leases?.extensions.leases ?? 0,
      ...this.connection?.puller.stats,
      ackLatencyP50Ms: leases?.ackLatencyQuantile(0.5) ?? NaN,
      ackLatencyP99Ms: leases?.ackLatencyQuantile(0.99) ?? NaN,
    };
  }

  idleSince(): Millis | undefined {
    return this.connection?.puller.emptySince();
  }

  stop(): void {
    this.stopped = true;
    this.connection?.puller.stop();
  }

  async close(): Promise<void> {
    this.stopped = true;
    const connection = this.connection;
    if (connection === undefined) return;
    const { client, subscription, puller, leases } = connection;
    await leases.settle();
    // What the last pulls bring was never processed: it goes back with what is still held.
    const { unread, late } = await puller.settle();
    await leases.release(unread.map((m) => m.ackId!));
    if (connection.createdSubscription) {
      // Nobody reads the job's own subscription again: what late pulls bring goes with it.
      await client.deleteSubscription({ subscription }).catch(() => undefined);
      await client.close();
      return;
    }
    // Pulls still waiting may yet bring messages published meanwhile: hand those back too, then close
    // the client — in the background (bounded by the pull timeout), so that the job's end does not wait.
    void late
      .then((messages) => {
        leases.handBack(messages.map((m) => m.ackId!));
        return leases.settle();
      })
      .finally(() => client.close())
      .catch(() => undefined);
  }

  private async connect(): Promise<Connection> {
    if (this.connection !== undefined) return this.connection;
    const client = new v1.SubscriberClient(pubsubClientOptions(this.projectId) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
    let subscription: string;
    let ackDeadlineSeconds = this.limits.ackDeadlineSeconds;
    let createdSubscription = false;
    if (this.read.subscription) {
      subscription = this.read.subscription;
      // Extend by the subscription's own deadline: after a crash, what was in flight comes back that soon.
      const [existing] = await client.getSubscription({ subscription });
      ackDeadlineSeconds = existing.ackDeadlineSeconds || this.limits.ackDeadlineSeconds;
    } else {
      // Reading a topic: a subscription of the job's own, deleted when the job ends.
      const topicName = this.read.topic.split("/").pop();
      subscription = `projects/${this.projectId}/subscriptions/${topicName}-beam-ts-native-${process.pid}-${Date.now()}`;
      await client.createSubscription({ name: subscription, topic: this.read.topic, ackDeadlineSeconds });
      createdSubscription = true;
    }
    const leases = new Leases(client, subscription, ackDeadlineSeconds);
    // The puller sees what is outstanding through the leases: its gate waits on them (./pull_gate.ts).
    this.connection = { client, subscription, createdSubscription, puller: new PubSubPuller(client, subscription, ackDeadlineSeconds * 1000, leases), leases };
    this.connection.leases.restorePromised(this.restored);
    return this.connection;
  }

  private idle(): boolean {
    const now = Date.now();
    this.emptySince ??= now;
    if (now - this.emptySince >= this.limits.idleWatermarkMs && this.newestEventTime > this.currentWatermark) {
      // No backlog: nothing older than what we have seen is coming (the usual Pub/Sub estimate).
      this.currentWatermark = this.newestEventTime;
      return true;
    }
    return false;
  }

  /**
   * Whether the message's id was seen before: `new` (or no id), a `duplicate` (same id, same payload:
   * a redelivery or a publisher's retry) or a `conflict` (same id, another payload: two different
   * messages, neither of which may vanish).
   */
  private seen(message: protos.google.pubsub.v1.IPubsubMessage): "new" | "duplicate" | "conflict" {
    if (!this.read.idAttribute) return "new";
    const id = message.attributes?.[this.read.idAttribute];
    if (id === undefined) return "new";
    // One call, no Hash object per message (it showed in profiles).
    const digest = hash("sha1", message.data ?? "", "base64");
    const first = this.seenIds.get(id);
    if (first !== undefined) {
      if (first.digest !== digest) return "conflict";
      this.duplicates++;
      return "duplicate";
    }
    if (this.seenIds.size >= RETAINED_IDS) this.seenIds.delete(this.seenIds.keys().next().value!);
    this.seenIds.set(id, { digest, messageId: message.messageId ?? "" });
    return "new";
  }

  private conflictReason(message: protos.google.pubsub.v1.IPubsubMessage): string {
    const id = message.attributes![this.read.idAttribute];
    const shown = id.length > 40 ? `${JSON.stringify(id.slice(0, 40))}…` : JSON.stringify(id);
    return (
      `attribute ${this.read.idAttribute} ${shown} was first seen on message ${this.seenIds.get(id)!.messageId} ` +
      `with another payload: a conflict, not a redelivery`
    );
  }
}
