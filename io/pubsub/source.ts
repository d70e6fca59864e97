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
 * Event time: the `timestampAttribute` (RFC 3339 or epoch milliseconds), else the publish time.
 * Pub/Sub delivers in no particular order and shows no backlog to a puller, so the watermark is an
 * estimate (as it is on Dataflow): the newest event time seen minus the tolerated out-of-orderness
 * while messages flow, and the newest event time itself once pulls come back empty for a while (no
 * backlog), so that open windows close on an idle stream. Messages older than the estimate are late:
 * within the allowed lateness they correct their window, beyond it they are dropped and counted.
 */
import { v1, protos } from "@google-cloud/pubsub";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { GlobalWindow, WindowedValue } from "apache-beam/values";
import { pubsubClientOptions } from "./client";
import type { PubSubMessage } from "./read";
import type { StreamSource } from "../../sdk/stream_source";
import { Millis, NO_FIRING, toInstant } from "../../sdk/time";
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

const ACK_BATCH = 2_500;
const RETAINED_IDS = 200_000;

interface Outstanding {
  eventTime: Millis;
  publishTime: Millis;
  bytes: number;
}

export class PubSubSource implements StreamSource {
  private client: v1.SubscriberClient | undefined;
  private puller: PubSubPuller | undefined;
  private subscription: string | undefined;
  private createdSubscription = false;
  private readonly outstanding = new Map<string, Outstanding>();
  /** No outstanding message has an earlier event time (commits below it have nothing to do). */
  private oldestOutstanding: Millis = Infinity;
  private outstandingBytes = 0;
  private readonly toAck: string[] = [];
  private acking: Promise<void> = Promise.resolve();
  private readonly seenIds = new Set<string>();
  private currentWatermark: Millis = -Infinity;
  private newestEventTime: Millis = -Infinity;
  private emptySince: Millis | undefined;
  private stopped = false;
  private extender: NodeJS.Timeout | undefined;
  private ackDeadlineSeconds: number;
  /** Messages dropped because their id was already seen (they are acknowledged). */
  private duplicates = 0;
  private acknowledged = 0;
  /** Publish → acknowledged (everything the message produced written), in 1 ms buckets. */
  private readonly ackLatency = new Map<number, number>();

  constructor(
    private readonly read: runnerApi.PubSubReadPayload,
    private readonly projectId: string,
    private readonly limits: PubSubSourceLimits = DEFAULT_PUBSUB_LIMITS,
  ) {
    this.ackDeadlineSeconds = limits.ackDeadlineSeconds;
  }

  readonly readsAhead = true;

  get watermark(): Millis {
    return this.currentWatermark;
  }

  get finished(): boolean {
    return this.stopped;
  }

  async advance(emit: (element: WindowedValue<unknown>) => void, deadline: Millis): Promise<boolean> {
    if (this.stopped) return false;
    const puller = await this.connect();
    if (this.outstanding.size >= this.limits.maxOutstandingMessages || this.outstandingBytes >= this.limits.maxOutstandingBytes) {
      throw new Error(
        `Pub/Sub read from ${this.subscription}: ${this.outstanding.size} messages (${this.outstandingBytes} bytes) are waiting for ` +
          `their windows to close before they can be acknowledged, past the limit of ${this.limits.maxOutstandingMessages} messages / ` +
          `${this.limits.maxOutstandingBytes} bytes. Shorten the windows or the allowed lateness, or raise the limits.`,
      );
    }
    const received = await puller.next(deadline);
    if (this.stopped) {
      // Drained while pulling: hand these back for prompt redelivery rather than process them.
      this.handBack(received.map((m) => m.ackId!));
      return false;
    }
    if (received.length === 0) return this.idle();
    this.emptySince = undefined;
    for (const message of received) {
      const eventTime = this.eventTimeOf(message.message!);
      if (this.isDuplicate(message.message!)) {
        this.toAck.push(message.ackId!);
        continue;
      }
      const bytes = message.message!.data?.length ?? 0;
      this.outstanding.set(message.ackId!, { eventTime, publishTime: publishTimeOf(message.message!), bytes });
      this.outstandingBytes += bytes;
      if (eventTime < this.oldestOutstanding) this.oldestOutstanding = eventTime;
      this.newestEventTime = Math.max(this.newestEventTime, eventTime);
      emit({ value: this.elementOf(message.message!), windows: [new GlobalWindow()], timestamp: toInstant(eventTime), pane: NO_FIRING });
    }
    this.currentWatermark = Math.max(this.currentWatermark, this.newestEventTime - this.limits.outOfOrdernessMs);
    this.flushAcks();
    return true;
  }

  commit(durableBefore: Millis): void {
    // Called every 100 ms while messages may wait a window's length: skip the scan when it would find nothing.
    if (durableBefore <= this.oldestOutstanding) return;
    const now = Date.now();
    let oldest = Infinity;
    for (const [ackId, { eventTime, publishTime, bytes }] of this.outstanding) {
      if (eventTime >= durableBefore) {
        if (eventTime < oldest) oldest = eventTime;
      } else {
        this.outstanding.delete(ackId);
        this.outstandingBytes -= bytes;
        this.toAck.push(ackId);
        this.acknowledged++;
        const latency = Math.max(0, now - publishTime);
        this.ackLatency.set(latency, (this.ackLatency.get(latency) ?? 0) + 1);
      }
    }
    this.oldestOutstanding = oldest;
    this.flushAcks();
  }

  /** Acknowledged and duplicate messages, what is outstanding, and publish → acknowledged latency. */
  report(): Record<string, number> {
    return {
      acknowledged: this.acknowledged,
      duplicates: this.duplicates,
      outstanding: this.outstanding.size,
      ackLatencyP50Ms: quantile(this.ackLatency, this.acknowledged, 0.5),
      ackLatencyP99Ms: quantile(this.ackLatency, this.acknowledged, 0.99),
    };
  }

  stop(): void {
    this.stopped = true;
    this.puller?.stop();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.extender);
    this.flushAcks();
    await this.acking;
    // Whatever is still outstanding was not durably processed (the job failed or was cancelled), and
    // what the last pulls bring was never processed: hand it back for prompt redelivery instead of
    // waiting out its ack deadline.
    const unread = (await this.puller?.settle()) ?? [];
    this.handBack([...this.outstanding.keys(), ...unread.map((m) => m.ackId!)]);
    await this.acking;
    const client = this.client;
    if (client === undefined) return;
    if (this.createdSubscription) await client.deleteSubscription({ subscription: this.subscription }).catch(() => undefined);
    await client.close();
  }

  private async connect(): Promise<PubSubPuller> {
    if (this.puller !== undefined) return this.puller;
    const client = new v1.SubscriberClient(pubsubClientOptions(this.projectId) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
    this.client = client;
    if (this.read.subscription) {
      this.subscription = this.read.subscription;
      // Extend by the subscription's own deadline: after a crash, what was in flight comes back that soon.
      const [subscription] = await client.getSubscription({ subscription: this.subscription });
      this.ackDeadlineSeconds = subscription.ackDeadlineSeconds || this.limits.ackDeadlineSeconds;
    } else {
      // Reading a topic: a subscription of the job's own, deleted when the job ends.
      const topicName = this.read.topic.split("/").pop();
      this.subscription = `projects/${this.projectId}/subscriptions/${topicName}-beam-ts-native-${process.pid}-${Date.now()}`;
      await client.createSubscription({ name: this.subscription, topic: this.read.topic, ackDeadlineSeconds: this.ackDeadlineSeconds });
      this.createdSubscription = true;
    }
    // Messages still being processed must not be redelivered to us: extend their deadlines.
    this.extender = setInterval(() => this.extendDeadlines(), (this.ackDeadlineSeconds * 1000) / 3);
    this.extender.unref();
    this.puller = new PubSubPuller(client, this.subscription!);
    return this.puller;
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

  private eventTimeOf(message: protos.google.pubsub.v1.IPubsubMessage): Millis {
    const attribute = this.read.timestampAttribute ? message.attributes?.[this.read.timestampAttribute] : undefined;
    if (attribute !== undefined) {
      const parsed = /^\d+$/.test(attribute) ? Number(attribute) : Date.parse(attribute);
      if (Number.isFinite(parsed)) return parsed;
    }
    // A missing or unreadable timestamp attribute falls back to the publish time: the message is
    // still processed (its payload's own validation decides whether it is good).
    return publishTimeOf(message);
  }

  private isDuplicate(message: protos.google.pubsub.v1.IPubsubMessage): boolean {
    if (!this.read.idAttribute) return false;
    const id = message.attributes?.[this.read.idAttribute];
    if (id === undefined) return false;
    if (this.seenIds.has(id)) {
      this.duplicates++;
      return true;
    }
    if (this.seenIds.size >= RETAINED_IDS) this.seenIds.delete(this.seenIds.values().next().value!);
    this.seenIds.add(id);
    return false;
  }

  private elementOf(message: protos.google.pubsub.v1.IPubsubMessage): Uint8Array | PubSubMessage {
    const data = message.data instanceof Uint8Array ? message.data : new Uint8Array(Buffer.from(message.data ?? ""));
    if (!this.read.withAttributes) return data;
    return {
      data,
      // The decoded message is ours alone: its attributes need no copy.
      attributes: message.attributes ?? {},
      messageId: message.messageId ?? "",
      publishTimeMs: publishTimeOf(message),
    };
  }

  /** Sends queued acknowledgements, one request at a time, in order. */
  private flushAcks(): void {
    if (this.toAck.length === 0 || this.client === undefined) return;
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

  private extendDeadlines(): void {
    const client = this.client;
    const ackIds = [...this.outstanding.keys()];
    if (client === undefined || ackIds.length === 0) return;
    for (let i = 0; i < ackIds.length; i += ACK_BATCH) {
      client
        .modifyAckDeadline({ subscription: this.subscription, ackIds: ackIds.slice(i, i + ACK_BATCH), ackDeadlineSeconds: this.ackDeadlineSeconds })
        .catch(() => undefined);
    }
  }

  private handBack(ackIds: string[]): void {
    if (ackIds.length === 0 || this.client === undefined) return;
    const client = this.client;
    this.acking = this.acking.then(() =>
      client.modifyAckDeadline({ subscription: this.subscription, ackIds, ackDeadlineSeconds: 0 }).then(
        () => undefined,
        () => undefined,
      ),
    );
  }
}

function publishTimeOf(message: protos.google.pubsub.v1.IPubsubMessage): Millis {
  const publish = message.publishTime;
  const seconds = publish?.seconds ?? 0;
  // The decoder gives a Long; Number() of a Long goes through its decimal string, per message.
  const wholeSeconds = typeof seconds === "object" ? seconds.toNumber() : Number(seconds);
  return wholeSeconds * 1000 + Math.floor((publish?.nanos ?? 0) / 1e6);
}

/** The `p` quantile of a histogram of `total` values in 1 ms buckets (NaN when empty). */
function quantile(histogram: Map<number, number>, total: number, p: number): number {
  let seen = 0;
  for (const [ms, n] of [...histogram].sort((a, b) => a[0] - b[0])) {
    seen += n;
    if (seen >= p * total) return ms;
  }
  return NaN;
}

