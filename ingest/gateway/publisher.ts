/**
 * The gateway's side of Pub/Sub: one topic per event type, batched publishing, and the bounded
 * in-flight window. An event holds a slot of the window from the moment it is admitted until
 * Pub/Sub has accepted or refused it — whether or not its caller is still waiting — so what the
 * gateway holds in memory never exceeds the window; past it, callers are told RESOURCE_EXHAUSTED
 * instead of being queued.
 *
 * Every publish is bounded: Pub/Sub's client retries what is retryable (UNAVAILABLE, a reset
 * connection…) with backoff, but gives up after `publishTimeoutMs`; the event is then reported
 * not accepted (UNAVAILABLE), and its slot is free again.
 */
import * as grpc from "@grpc/grpc-js";
import type { ClientConfig, PubSub, Topic } from "@google-cloud/pubsub";
import { createBackoffSettings, RetryOptions } from "google-gax";
import { newPubSub } from "../../io/pubsub/client";
import type { EventType, GatewayEvent } from "./events";

/** Topics and limits of the publisher. */
export interface PublisherOptions {
  projectId: string;
  /** The topic of each event type. */
  topics: Record<EventType, string>;
  /** Most events admitted and not yet settled by Pub/Sub. */
  maxInFlight: number;
  /** A batch is sent once it has this many messages… */
  batchMaxMessages: number;
  /** …or once its first message has waited this long. */
  batchMaxMs: number;
  /** Longest a publish may take, retries included, before the event is reported not accepted. */
  publishTimeoutMs: number;
  /** Create missing topics at start (local runs, tests). */
  createTopics?: boolean;
}

/** Why Pub/Sub did not take an event. */
export class PublishFailure extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How soon the client tries Pub/Sub again after losing it: the default backoff grows to two minutes,
 * and every event meanwhile is answered UNAVAILABLE; a gateway should be back within seconds.
 */
const RECONNECT = { "grpc.initial_reconnect_backoff_ms": 200, "grpc.max_reconnect_backoff_ms": 2000 } as Partial<ClientConfig>;

/** Codes on which a publish is tried again, within the publish timeout. */
const RETRY_CODES = [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.ABORTED, grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.RESOURCE_EXHAUSTED, grpc.status.CANCELLED];

/** Publishes gateway events; see the module comment. */
export class EventPublisher {
  private inFlight = 0;
  /** Streams waiting for a free slot. */
  private waiters: (() => void)[] = [];
  private readonly pubsub: PubSub;
  private readonly topics: Map<EventType, Topic>;

  private constructor(private readonly options: PublisherOptions) {
    this.pubsub = newPubSub(options.projectId, RECONNECT);
    const timeout = options.publishTimeoutMs;
    const retry = new RetryOptions(RETRY_CODES, createBackoffSettings(50, 1.5, 1000, timeout, 1, timeout, timeout));
    this.topics = new Map(
      (Object.entries(options.topics) as [EventType, string][]).map(([type, name]) => [
        type,
        this.pubsub.topic(name, {
          batching: { maxMessages: options.batchMaxMessages, maxMilliseconds: options.batchMaxMs },
          gaxOpts: { retry, timeout },
        }),
      ]),
    );
  }

  /** A publisher on `options.topics`, created first when `createTopics`. */
  static async open(options: PublisherOptions): Promise<EventPublisher> {
    const publisher = new EventPublisher(options);
    if (options.createTopics) await publisher.createMissingTopics();
    return publisher;
  }

  private async createMissingTopics(): Promise<void> {
    for (const topic of this.topics.values()) {
      const [exists] = await topic.exists();
      if (!exists) await topic.create().catch((error: { code?: number }) => {
        if (error.code !== grpc.status.ALREADY_EXISTS) throw error;
      });
    }
  }

  /** Events admitted and not yet settled. */
  get eventsInFlight(): number {
    return this.inFlight;
  }

  /** Room for `count` more events? If so they are admitted: each must then be {@link publish}ed. */
  admit(count: number): boolean {
    if (this.inFlight + count > this.options.maxInFlight) return false;
    this.inFlight += count;
    return true;
  }

  /** Room for at least one more event, now. */
  hasRoom(): boolean {
    return this.inFlight < this.options.maxInFlight;
  }

  /** Resolves once a slot has been freed (or at once if there is room). */
  whenRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private settled(): void {
    this.inFlight--;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Publishes an admitted event; resolves with Pub/Sub's message id once Pub/Sub has accepted it,
   * rejects with a {@link PublishFailure} when it did not. Frees the event's slot either way.
   */
  async publish(event: GatewayEvent): Promise<string> {
    try {
      return await this.topics.get(event.type)!.publishMessage({ data: event.data, attributes: event.attributes });
    } catch (error) {
      const e = error as { code?: number; message?: string };
      // INVALID_ARGUMENT from Pub/Sub (an attribute too long…) is the event's fault; the rest is Pub/Sub's.
      const code = e.code === grpc.status.INVALID_ARGUMENT ? grpc.status.INVALID_ARGUMENT : grpc.status.UNAVAILABLE;
      throw new PublishFailure(code, `Pub/Sub did not accept event ${event.eventId}: ${e.message ?? String(error)}`);
    } finally {
      this.settled();
    }
  }

  /** Sends what is batched and waits for it; then closes the clients. */
  async close(): Promise<void> {
    try {
      await Promise.all([...this.topics.values()].map((topic) => topic.flush()));
    } finally {
      await this.pubsub.close();
    }
  }
}
