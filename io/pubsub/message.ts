/**
 * A pulled Pub/Sub message as the pipeline sees it: its event time (the timestamp attribute, else
 * the publish time) and its element — payload bytes, or, with attributes, the serialized
 * `google.pubsub.v1.PubsubMessage`, exactly what Dataflow's native read emits — and the decode
 * step that turns those bytes into a {@link PubSubMessage}, the same step in both places.
 *
 * A timestamp attribute is read strictly — whole epoch milliseconds or an RFC 3339 date-time, from
 * the epoch to {@link LATEST_EVENT_TIME_MS} — because every later step trusts the element's
 * timestamp: windows end there and sinks store cells at it. One that breaks the rule (`-1`, which
 * `Date.parse` reads as the year 2001; 2^53 + 1; the year 9999) does not become the event time: the
 * message keeps its publish time and, read with attributes, carries the `refusal` that makes its
 * parse step dead-letter it instead of letting it fail a sink, then fail again on every redelivery.
 * The refusal travels inside the serialized message as the attribute {@link REFUSAL_ATTRIBUTE},
 * which the decode step lifts out again.
 *
 * On our runner the read and its decode step run in the same thread unless a bundle is shipped to
 * another: the read then hands the decode step, beside the bytes, the message they encode (built
 * from the pulled message it already holds), and decoding them again — a protobuf decode of every
 * message, about 5% of the streaming pipeline's CPU in profiles — is skipped. Bytes that crossed a
 * thread, a process or Dataflow are copies, which carry nothing beside them: they are decoded.
 */
import { protos } from "@google-cloud/pubsub";
import { requireForSerialization } from "apache-beam/serialization";
import type * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { Millis } from "../../sdk/time";
import type { PubSubMessage } from "./read";
import { encodePubsubMessage } from "./message_bytes";
import { publishTimeOf } from "./publish_time";

type Message = protos.google.pubsub.v1.IPubsubMessage;

/**
 * The latest event time a message may carry: the largest whole number of milliseconds whose
 * microseconds (Bigtable's cell timestamps) are still exact in a double — the year 2255. Beam's own
 * timestamps go further; what no sink can store is of no use as an event time.
 */
export const LATEST_EVENT_TIME_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/** The attribute that carries the read's refusal from the read to the decode step. */
export const REFUSAL_ATTRIBUTE = "beam-ts-native.refusal";

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

/**
 * The element the read emits for the message: its payload, or with attributes the whole message
 * serialized — with `refusal` (see {@link PubSubMessage}) as {@link REFUSAL_ATTRIBUTE} when given —
 * and beside those bytes the message they decode to, for a decode step in this thread (see the module comment).
 */
export function elementOf(message: Message, read: runnerApi.PubSubReadPayload, refusal?: string): Uint8Array {
  if (!read.withAttributes) return message.data instanceof Uint8Array ? message.data : new Uint8Array(Buffer.from(message.data ?? ""));
  const bytes: WithDecoded = encodePubsubMessage(message, refusal === undefined ? undefined : { name: REFUSAL_ATTRIBUTE, value: refusal });
  bytes[DECODED] = decodedForm(message, refusal);
  return bytes;
}

/** Where the bytes a read emits carry the message they encode (never copied with them). */
const DECODED = Symbol("beam-ts-native/io/pubsub/message.decoded");

type WithDecoded = Uint8Array & { [DECODED]?: PubSubMessage };

/**
 * What {@link decodePubSubMessage} gives for the bytes of `message` with `refusal`, built without
 * them; undefined for a payload not given as bytes (decoded instead).
 */
function decodedForm(message: Message, refusal: string | undefined): PubSubMessage | undefined {
  if (!(message.data instanceof Uint8Array)) return undefined;
  // A copy, as decoding makes: the element's attributes are its own (the pulled message's may be shared, even frozen).
  const attributes = { ...message.attributes };
  const decoded: PubSubMessage = { data: message.data, attributes, messageId: message.messageId ?? "", publishTimeMs: publishTimeOf(message) };
  // The bytes carry `refusal` as an attribute, in place of any of its name, which decoding lifts out.
  const carried = refusal ?? attributes[REFUSAL_ATTRIBUTE];
  if (carried !== undefined) {
    delete attributes[REFUSAL_ATTRIBUTE];
    decoded.refusal = carried;
  }
  return decoded;
}

/** A serialized `PubsubMessage` (what a read with attributes emits) as a {@link PubSubMessage}. */
export function decodePubSubMessage(bytes: Uint8Array): PubSubMessage {
  const handed = (bytes as WithDecoded)[DECODED];
  if (handed !== undefined) {
    // Taken once: a second decode of the same bytes gets a message of its own.
    (bytes as WithDecoded)[DECODED] = undefined;
    return handed;
  }
  const message = protos.google.pubsub.v1.PubsubMessage.decode(bytes);
  // The decoded message is ours alone: its attributes need no copy.
  const attributes = message.attributes ?? {};
  const decoded: PubSubMessage = {
    // Decoding bytes gives bytes (the type also allows the base64 text of a JSON form).
    data: message.data as Uint8Array,
    attributes,
    messageId: message.messageId ?? "",
    publishTimeMs: publishTimeOf(message),
  };
  const refusal = attributes[REFUSAL_ATTRIBUTE];
  if (refusal !== undefined) {
    delete attributes[REFUSAL_ATTRIBUTE];
    decoded.refusal = refusal;
  }
  return decoded;
}


requireForSerialization("beam-ts-native/io/pubsub/message", exports);
