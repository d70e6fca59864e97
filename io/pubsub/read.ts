/**
 * Reading from Pub/Sub: the standard `beam:transform:pubsub_read:v1` primitive with its
 * `PubSubReadPayload`, so Dataflow runs it with its native Pub/Sub source and our runner with the
 * official client (./source.ts, registered here as the URN's source: see sdk/stream_source.ts).
 *
 * Each element is a message's payload bytes (`Uint8Array`), or, with `withAttributes`, a
 * {@link PubSubMessage} (payload, attributes, id, publish time). With attributes the primitive emits
 * serialized `google.pubsub.v1.PubsubMessage` bytes — what Dataflow's native read emits — and a
 * decode step follows it, so the graph is the same on Dataflow and on our runner. Event time comes from the
 * `timestampAttribute` (RFC 3339 or milliseconds since the epoch) or else the publish time; messages
 * with the same `idAttribute` value and the same payload are delivered once (the others are counted
 * as `duplicates`); a later one with the same id but another payload is delivered with a `refusal`
 * (a conflict, not a redelivery), as is one whose timestamp attribute is unusable (./message.ts).
 */
import * as beam from "apache-beam";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { BytesCoder } from "apache-beam/coders/required_coders";
import type { Pipeline } from "apache-beam/internal/pipeline";
import { registerStreamSource } from "../../sdk/stream_source";
import { PubSubSource } from "./source";
import { decodePubSubMessage } from "./message";

/** Beam's standard URN for a Pub/Sub read. */
export const PUBSUB_READ_URN = "beam:transform:pubsub_read:v1";

/** A message read with its attributes. */
export interface PubSubMessage {
  data: Uint8Array;
  attributes: Record<string, string>;
  messageId: string;
  /** Milliseconds since the epoch. */
  publishTimeMs: number;
  /**
   * Why the read refuses the message although it delivers it: a timestamp attribute it cannot use,
   * or an id attribute already seen on a message with other content. The consumer must make it a
   * dead letter (the transaction parsers do) — it is delivered so that it does not vanish.
   */
  refusal?: string;
}

/** What to read and how. Exactly one of `topic` and `subscription`. */
export interface PubSubReadOptions {
  /** Read everything published to this topic from now on (a subscription is made for the job). */
  topic?: string;
  /** Read this existing subscription (messages not acknowledged are redelivered after a crash). */
  subscription?: string;
  /** Project of short topic/subscription names (default: `local-project`). */
  projectId?: string;
  /** Attribute holding the event time; unset: the publish time. */
  timestampAttribute?: string;
  /** Attribute holding a unique id: a message with an id and payload already seen is dropped (acknowledged once the first is). */
  idAttribute?: string;
  /** Emit {@link PubSubMessage}s instead of payload bytes. */
  withAttributes?: boolean;
}

/** `projects/<project>/<kind>/<name>` for a short name; a full path as it is. */
export function resourcePath(name: string, kind: "topics" | "subscriptions", projectId: string): string {
  return name.startsWith("projects/") ? name : `projects/${projectId}/${kind}/${name}`;
}

/** Reads messages from Pub/Sub (see the module doc). */
export function readFromPubSub(options: PubSubReadOptions): beam.PTransform<beam.Root, beam.PCollection<Uint8Array | PubSubMessage>>;
export function readFromPubSub(options: PubSubReadOptions & { withAttributes: true }): beam.PTransform<beam.Root, beam.PCollection<PubSubMessage>>;
export function readFromPubSub(options: PubSubReadOptions): beam.PTransform<beam.Root, beam.PCollection<Uint8Array | PubSubMessage>> {
  if ((options.topic === undefined) === (options.subscription === undefined)) {
    throw new Error("readFromPubSub: give exactly one of topic and subscription");
  }
  const projectId = options.projectId ?? "local-project";
  const payload = runnerApi.PubSubReadPayload.create({
    topic: options.topic === undefined ? "" : resourcePath(options.topic, "topics", projectId),
    subscription: options.subscription === undefined ? "" : resourcePath(options.subscription, "subscriptions", projectId),
    timestampAttribute: options.timestampAttribute ?? "",
    idAttribute: options.idAttribute ?? "",
    withAttributes: options.withAttributes ?? false,
  });
  const primitive = (_root: beam.Root, pipeline: Pipeline, transform: runnerApi.PTransform) => {
    transform.spec = { urn: PUBSUB_READ_URN, payload: runnerApi.PubSubReadPayload.toBinary(payload) };
    return pipeline.createPCollectionInternal<Uint8Array>(new BytesCoder(), undefined, runnerApi.IsBounded_Enum.UNBOUNDED);
  };
  return beam.withName(`readFromPubSub(${options.subscription ?? options.topic})`, (root: beam.Root) => {
    const read = root.apply(beam.withName("read", primitive));
    return options.withAttributes ? read.map(beam.withName("decodePubsubMessage", decodePubSubMessage)) : read;
  });
}

registerStreamSource(PUBSUB_READ_URN, (payload) => {
  const read = runnerApi.PubSubReadPayload.fromBinary(payload);
  const projectId = (read.subscription || read.topic).split("/")[1];
  return new PubSubSource(read, projectId);
});
