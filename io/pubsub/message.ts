/**
 * A pulled Pub/Sub message as the pipeline sees it: its event time (the timestamp attribute, else
 * the publish time) and its element (payload bytes, or a {@link PubSubMessage} with attributes).
 *
 * A timestamp attribute is read strictly — whole epoch milliseconds or an RFC 3339 date-time, from
 * the epoch to {@link LATEST_EVENT_TIME_MS} — because every later step trusts the element's
 * timestamp: windows end there and sinks store cells at it. One that breaks the rule (`-1`, which
 * `Date.parse` reads as the year 2001; 2^53 + 1; the year 9999) does not become the event time: the
 * message keeps its publish time and, read with attributes, carries the `refusal` that makes its
 * parse step dead-letter it instead of letting it fail a sink, then fail again on every redelivery.
 */
import type { protos } from "@google-cloud/pubsub";
import type * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { Millis } from "../../sdk/time";
import type { PubSubMessage } from "./read";

type Message = protos.google.pubsub.v1.IPubsubMessage;

/**
 * The latest event time a message may carry: the largest whole number of milliseconds whose
 * microseconds (Bigtable's cell timestamps) are still exact in a double — the year 2255. Beam's own
 * timestamps go further; what no sink can store is of no use as an event time.
 */
export const LATEST_EVENT_TIME_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

const EPOCH_MILLIS = /^\d{1,16}$/;
const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** A message's event time, and why its timestamp attribute was not used when it was there but unusable. */
export interface MessageTime {
  eventTime: Millis;
  refusal?: string;
}

/** The message's event time: its `timestampAttribute` (see the module comment), else its publish time. */
export function eventTimeOf(message: Message, read: runnerApi.PubSubReadPayload): MessageTime {
  const attribute = read.timestampAttribute ? message.attributes?.[read.timestampAttribute] : undefined;
  // A missing timestamp attribute falls back to the publish time (its payload's own validation decides).
  if (attribute === undefined) return { eventTime: publishTimeOf(message) };
  const parsed = EPOCH_MILLIS.test(attribute) ? Number(attribute) : RFC_3339.test(attribute) ? Date.parse(attribute) : NaN;
  if (parsed >= 0 && parsed <= LATEST_EVENT_TIME_MS) return { eventTime: parsed };
  const shown = attribute.length > 40 ? `${JSON.stringify(attribute.slice(0, 40))}…` : JSON.stringify(attribute);
  return {
    eventTime: publishTimeOf(message),
    refusal:
      `attribute ${read.timestampAttribute} must be whole milliseconds since the epoch or an RFC 3339 time, ` +
      `from 1970 to ${new Date(LATEST_EVENT_TIME_MS).toISOString()}, found ${shown}`,
  };
}

/** The element the read emits for the message; `refusal` (see {@link PubSubMessage}) only with attributes. */
export function elementOf(message: Message, read: runnerApi.PubSubReadPayload, refusal?: string): Uint8Array | PubSubMessage {
  const data = message.data instanceof Uint8Array ? message.data : new Uint8Array(Buffer.from(message.data ?? ""));
  if (!read.withAttributes) return data;
  const element: PubSubMessage = {
    data,
    // The decoded message is ours alone: its attributes need no copy.
    attributes: message.attributes ?? {},
    messageId: message.messageId ?? "",
    publishTimeMs: publishTimeOf(message),
  };
  if (refusal !== undefined) element.refusal = refusal;
  return element;
}

/** The publish time in epoch milliseconds. */
export function publishTimeOf(message: Message): Millis {
  const publish = message.publishTime;
  const seconds = publish?.seconds ?? 0;
  // The decoder gives a Long; Number() of a Long goes through its decimal string, per message.
  const wholeSeconds = typeof seconds === "object" ? seconds.toNumber() : Number(seconds);
  return wholeSeconds * 1000 + Math.floor((publish?.nanos ?? 0) / 1e6);
}
