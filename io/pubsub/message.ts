/**
 * A pulled Pub/Sub message as the pipeline sees it: its event time (the timestamp attribute, else
 * the publish time) and its element — payload bytes, or, with attributes, the serialized
 * `google.pubsub.v1.PubsubMessage`, exactly what Dataflow's native read emits — and the decode
 * step that turns those bytes into a {@link PubSubMessage}, the same step in both places.
 */
import { protos } from "@google-cloud/pubsub";
import { requireForSerialization } from "apache-beam/serialization";
import type * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { Millis } from "../../sdk/time";
import type { PubSubMessage } from "./read";

type Message = protos.google.pubsub.v1.IPubsubMessage;

/** The message's event time: its `timestampAttribute` (RFC 3339 or epoch ms), else its publish time. */
export function eventTimeOf(message: Message, read: runnerApi.PubSubReadPayload): Millis {
  const attribute = read.timestampAttribute ? message.attributes?.[read.timestampAttribute] : undefined;
  if (attribute !== undefined) {
    const parsed = /^\d+$/.test(attribute) ? Number(attribute) : Date.parse(attribute);
    if (Number.isFinite(parsed)) return parsed;
  }
  // A missing or unreadable timestamp attribute falls back to the publish time: the message is
  // still processed (its payload's own validation decides whether it is good).
  return publishTimeOf(message);
}

/** The element the read emits for the message: its payload, or with attributes the whole message serialized. */
export function elementOf(message: Message, read: runnerApi.PubSubReadPayload): Uint8Array {
  if (read.withAttributes) return protos.google.pubsub.v1.PubsubMessage.encode(message).finish();
  return message.data instanceof Uint8Array ? message.data : new Uint8Array(Buffer.from(message.data ?? ""));
}

/** A serialized `PubsubMessage` (what a read with attributes emits) as a {@link PubSubMessage}. */
export function decodePubSubMessage(bytes: Uint8Array): PubSubMessage {
  const message = protos.google.pubsub.v1.PubsubMessage.decode(bytes);
  return {
    // Decoding bytes gives bytes (the type also allows the base64 text of a JSON form).
    data: message.data as Uint8Array,
    // The decoded message is ours alone: its attributes need no copy.
    attributes: message.attributes ?? {},
    messageId: message.messageId ?? "",
    publishTimeMs: publishTimeOf(message),
  };
}

/** The publish time in epoch milliseconds. */
export function publishTimeOf(message: Message): Millis {
  const publish = message.publishTime;
  const seconds = publish?.seconds ?? 0;
  // The decoder gives a Long; Number() of a Long goes through its decimal string, per message.
  const wholeSeconds = typeof seconds === "object" ? seconds.toNumber() : Number(seconds);
  return wholeSeconds * 1000 + Math.floor((publish?.nanos ?? 0) / 1e6);
}

requireForSerialization("beam-ts-native/io/pubsub/message", exports);
