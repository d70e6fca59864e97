/**
 * Publishing a PCollection to a Pub/Sub topic, in batches: one `Publish` request per batch through
 * the official v1 `PublisherClient`, on {@link writeInBatches} (bounded publishes in flight,
 * backpressure, and `finishBundle` returns once Pub/Sub has accepted every message).
 *
 * Why the v1 client: against the emulator (50k messages of ~150 bytes, batches of 500, 4 in flight,
 * median of 6 rounds) one request per batch published ~82k msg/s, the high-level
 * `topic.publishMessage` with batching ~66k msg/s, and the v1 client with gax's own bundling
 * ~67k msg/s. The batch is already made by the sink, so bundling again only adds latency.
 *
 * The payload is the element as JSON, or its bytes when it is a Uint8Array (a Buffer included).
 * Publishing is at least once: a retried or replayed batch may publish a message twice; give
 * readers an id attribute to drop duplicates by.
 */
import * as beam from "apache-beam";
import { v1 } from "@google-cloud/pubsub";
import { requireForSerialization } from "apache-beam/serialization";
import { writeInBatches } from "../batching_sink";
import { pubsubClientOptions } from "./client";

/** Settings of {@link writeToPubSub}. */
export interface WriteToPubSubOptions<T> {
  /** `projects/P/topics/T`, or `T` with `projectId`. */
  topic: string;
  /** The project, when `topic` is a short name. */
  projectId?: string;
  /** Attributes of each element's message (string values). */
  attributes?: (element: T) => Record<string, string>;
  /**
   * Ordering key of each element's message. Pub/Sub delivers a key's messages in publish order to
   * subscriptions with message ordering enabled; publishes then go one at a time (`maxInFlight` 1),
   * since two requests in flight could land in either order.
   */
  orderingKey?: (element: T) => string;
  /** Messages per publish request (default 500; Pub/Sub accepts at most 1000 and 10 MB). */
  batchSize?: number;
  /** Publish requests in flight before the sink pushes back (default 4; 1 with an ordering key). */
  maxInFlight?: number;
}

/** Where to publish, as plain data (captured by the serialized write function). */
export interface PublishTarget {
  projectId: string;
  /** The topic's full name, `projects/P/topics/T`. */
  topic: string;
}

/** One message as the v1 API takes it. */
interface PubsubMessage {
  data: Uint8Array;
  attributes?: Record<string, string>;
  orderingKey?: string;
}

const MAX_BATCH = 1000;

/**
 * gRPC codes worth retrying (CANCELLED, UNKNOWN, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED,
 * INTERNAL, UNAVAILABLE: the client's own list for Publish), with a total bound under the runner's
 * stall timeout (120 s) so that a topic that stays unreachable fails the job with Pub/Sub's reason.
 */
const PUBLISH_RETRY = {
  retryCodes: [1, 2, 4, 8, 10, 13, 14],
  backoffSettings: {
    initialRetryDelayMillis: 100,
    retryDelayMultiplier: 2,
    maxRetryDelayMillis: 10_000,
    initialRpcTimeoutMillis: 30_000,
    rpcTimeoutMultiplier: 1,
    maxRpcTimeoutMillis: 30_000,
    totalTimeoutMillis: 90_000,
  },
};

/** Live clients, one per project and emulator endpoint, made where the sink runs. */
const publishers = new Map<string, v1.PublisherClient>();

/** Publishes each element of the input as one message to `topic`. */
export function writeToPubSub<T>(options: WriteToPubSubOptions<T>): beam.PTransform<beam.PCollection<T>, beam.PCollection<never>> {
  const target = publishTarget(options.topic, options.projectId);
  const batchSize = options.batchSize ?? 500;
  const ordered = options.orderingKey !== undefined;
  const maxInFlight = options.maxInFlight ?? (ordered ? 1 : 4);
  const where = `writeToPubSub(${target.topic})`;
  if (!(batchSize >= 1 && batchSize <= MAX_BATCH)) throw new Error(`${where}: batchSize must be from 1 to ${MAX_BATCH} (Pub/Sub's limit per request), got ${batchSize}`);
  if (ordered && maxInFlight !== 1) throw new Error(`${where}: with an ordering key maxInFlight must be 1 (concurrent publishes could reorder a key's messages), got ${maxInFlight}`);
  const attributes = options.attributes;
  const orderingKey = options.orderingKey;
  return writeInBatches<T>(where, (batch: T[]) => publishBatch(target, batch.map((element) => pubsubMessage(element, attributes, orderingKey))), { batchSize, maxInFlight });
}

/** The full topic name and its project; fails, naming the topic, when neither says the project. */
export function publishTarget(topic: string, projectId?: string): PublishTarget {
  const full = /^projects\/([^/]+)\/topics\/([^/]+)$/.exec(topic);
  if (full !== null) {
    if (projectId !== undefined && projectId !== full[1]) throw new Error(`writeToPubSub: topic '${topic}' is in project '${full[1]}', not '${projectId}'`);
    return { projectId: full[1], topic };
  }
  if (topic.includes("/")) throw new Error(`writeToPubSub: '${topic}' is not a topic: expected projects/P/topics/T or a short name`);
  if (projectId === undefined) throw new Error(`writeToPubSub: topic '${topic}' needs a projectId (or give projects/P/topics/${topic})`);
  return { projectId, topic: `projects/${projectId}/topics/${topic}` };
}

/** The message for one element: its bytes or its JSON, with attributes and ordering key if asked. */
export function pubsubMessage<T>(
  element: T,
  attributes?: (element: T) => Record<string, string>,
  orderingKey?: (element: T) => string,
): PubsubMessage {
  const message: PubsubMessage = { data: payloadOf(element) };
  if (attributes !== undefined) message.attributes = attributes(element);
  if (orderingKey !== undefined) message.orderingKey = orderingKey(element);
  return message;
}

function payloadOf(element: unknown): Uint8Array {
  if (element instanceof Uint8Array) return element;
  const json = JSON.stringify(element);
  if (json === undefined) throw new Error(`cannot publish ${String(element)}: it has no JSON form`);
  return Buffer.from(json, "utf8");
}

/** Publishes one batch in one request (retried on retryable codes); fails naming the topic. */
export async function publishBatch(target: PublishTarget, messages: PubsubMessage[]): Promise<void> {
  try {
    // gax bundling off: the batch is already made, waiting to fill another one only adds latency.
    await publisher(target.projectId).publish({ topic: target.topic, messages }, { retry: PUBLISH_RETRY, isBundling: false } as never);
  } catch (error) {
    throw new Error(`publishing ${messages.length} messages to '${target.topic}' failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Closes the clients this process made (end of a job, end of a test suite). */
export async function closePubSubPublishers(): Promise<void> {
  const open = [...publishers.values()];
  publishers.clear();
  await Promise.all(open.map((client) => client.close()));
}

function publisher(projectId: string): v1.PublisherClient {
  // The emulator is part of the key: a test suite that starts its own must not reuse another's client.
  const key = `${projectId}\n${process.env.PUBSUB_EMULATOR_HOST ?? ""}`;
  let client = publishers.get(key);
  if (client === undefined) {
    client = new v1.PublisherClient(pubsubClientOptions(projectId) as ConstructorParameters<typeof v1.PublisherClient>[0]);
    publishers.set(key, client);
  }
  return client;
}

requireForSerialization("beam-ts-native/io/pubsub/write", exports);
