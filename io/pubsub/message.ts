/**
 * A pulled Pub/Sub message as the pipeline sees it: its event time (the timestamp attribute, else
 * the publish time) and its element (payload bytes, or a {@link PubSubMessage} with attributes).
 */
import type { protos } from "@google-cloud/pubsub";
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

/** The element the read emits for the message. */
export function elementOf(message: Message, read: runnerApi.PubSubReadPayload): Uint8Array | PubSubMessage {
  const data = message.data instanceof Uint8Array ? message.data : new Uint8Array(Buffer.from(message.data ?? ""));
  if (!read.withAttributes) return data;
  return {
    data,
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
