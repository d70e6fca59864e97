/**
 * A pulled message as the bytes of a `google.pubsub.v1.PubsubMessage` — what a read with attributes
 * emits for every message — written straight into one buffer.
 *
 * protobufjs's generated encoder builds a list of operations per field, a fork per attribute entry
 * and per nested message, and a long for the seconds, then copies it all out: about 2 KB of garbage
 * and 3% of the streaming pipeline's CPU per message in profiles. The format is small and stable
 * (https://protobuf.dev/programming-guides/encoding/): the sizes are counted first, then the fields
 * written once, in field order, as protobufjs writes them (a field that is set is written, even
 * empty), so that any decoder — ours is protobufjs's — reads the same message.
 */
import type { protos } from "@google-cloud/pubsub";
import { requireForSerialization } from "apache-beam/serialization";

type Message = protos.google.pubsub.v1.IPubsubMessage;

/** Field tags of PubsubMessage (field number << 3 | wire type 2, length-delimited). */
const DATA = 0x0a;
const ATTRIBUTES = 0x12;
const MESSAGE_ID = 0x1a;
const PUBLISH_TIME = 0x22;
const ORDERING_KEY = 0x2a;
/** Field tags of a map entry (key 1, value 2) and of google.protobuf.Timestamp (seconds 1, nanos 2: varints). */
const ENTRY_KEY = 0x0a;
const ENTRY_VALUE = 0x12;
const SECONDS = 0x08;
const NANOS = 0x10;

/**
 * The serialized PubsubMessage of `message`, with `extra` as one more attribute when given (it
 * replaces an attribute of the same name). Throws for a publish time whose seconds are not a whole
 * number in the int64 range a double holds exactly.
 */
export function encodePubsubMessage(message: Message, extra?: { name: string; value: string }): Uint8Array {
  const data = typeof message.data === "string" ? Buffer.from(message.data, "base64") : message.data;
  const attributes = message.attributes;
  let size = 0;
  if (data !== null && data !== undefined) size += 1 + varintSize(data.length) + data.length;
  if (attributes !== null && attributes !== undefined) {
    for (const name of Object.keys(attributes)) {
      if (extra !== undefined && name === extra.name) continue;
      size += fieldSize(entrySize(name, attributes[name]));
    }
  }
  if (extra !== undefined) size += fieldSize(entrySize(extra.name, extra.value));
  if (message.messageId !== null && message.messageId !== undefined) size += fieldSize(utf8Length(message.messageId));
  const publish = message.publishTime;
  const seconds = publish === null || publish === undefined ? undefined : secondsOf(publish.seconds);
  const nanos = publish?.nanos ?? undefined;
  let timestampSize = 0;
  if (seconds !== undefined) timestampSize += 1 + int64Size(seconds);
  if (nanos !== undefined && nanos !== null) timestampSize += 1 + int64Size(nanos);
  if (publish !== null && publish !== undefined) size += fieldSize(timestampSize);
  if (message.orderingKey !== null && message.orderingKey !== undefined) size += fieldSize(utf8Length(message.orderingKey));

  const out = Buffer.allocUnsafe(size);
  let at = 0;
  if (data !== null && data !== undefined) {
    out[at++] = DATA;
    at = writeVarint(out, at, data.length);
    out.set(data, at);
    at += data.length;
  }
  if (attributes !== null && attributes !== undefined) {
    for (const name of Object.keys(attributes)) {
      if (extra !== undefined && name === extra.name) continue;
      at = writeEntry(out, at, name, attributes[name]);
    }
  }
  if (extra !== undefined) at = writeEntry(out, at, extra.name, extra.value);
  if (message.messageId !== null && message.messageId !== undefined) at = writeString(out, at, MESSAGE_ID, message.messageId);
  if (publish !== null && publish !== undefined) {
    out[at++] = PUBLISH_TIME;
    at = writeVarint(out, at, timestampSize);
    if (seconds !== undefined) {
      out[at++] = SECONDS;
      at = writeInt64(out, at, seconds);
    }
    if (nanos !== undefined && nanos !== null) {
      out[at++] = NANOS;
      at = writeInt64(out, at, nanos);
    }
  }
  if (message.orderingKey !== null && message.orderingKey !== undefined) at = writeString(out, at, ORDERING_KEY, message.orderingKey);
  return out;
}

/** Seconds as a number: the client gives a number, a decimal string or a Long. */
function secondsOf(seconds: number | string | { toNumber(): number } | null | undefined): number | undefined {
  if (seconds === null || seconds === undefined) return undefined;
  const n = typeof seconds === "object" ? seconds.toNumber() : Number(seconds);
  if (!Number.isSafeInteger(n)) throw new Error(`Pub/Sub message publish time: seconds ${String(seconds)} is not a whole number a double holds exactly`);
  return n;
}

/** Bytes of a length-delimited field (tag, length, content) whose content is `length` bytes. */
function fieldSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/** Bytes of a map entry's content: its key and value fields. */
function entrySize(name: string, value: string): number {
  return fieldSize(utf8Length(name)) + fieldSize(utf8Length(value));
}

function writeEntry(out: Buffer, at: number, name: string, value: string): number {
  const nameBytes = utf8Length(name);
  const valueBytes = utf8Length(value);
  out[at++] = ATTRIBUTES;
  at = writeVarint(out, at, fieldSize(nameBytes) + fieldSize(valueBytes));
  at = writeStringOfLength(out, at, ENTRY_KEY, name, nameBytes);
  return writeStringOfLength(out, at, ENTRY_VALUE, value, valueBytes);
}

function writeString(out: Buffer, at: number, tag: number, text: string): number {
  return writeStringOfLength(out, at, tag, text, utf8Length(text));
}

/** `text` of `length` UTF-8 bytes as a length-delimited field; a short ASCII text copied here rather than through a native call. */
function writeStringOfLength(out: Buffer, at: number, tag: number, text: string, length: number): number {
  out[at++] = tag;
  at = writeVarint(out, at, length);
  // As many bytes as UTF-16 units: ASCII (any other character takes more bytes than units).
  if (length === text.length && length <= SHORT_TEXT) {
    for (let i = 0; i < length; i++) out[at + i] = text.charCodeAt(i);
    return at + length;
  }
  return at + out.write(text, at, length, "utf8");
}

/**
 * Texts up to this many UTF-16 units are measured and copied in JS when ASCII: a message's attribute
 * names and values and its id are short, and a native call per text to measure it and another to
 * write it (5 texts a message) cost more than the copy — half of this encoder's time in profiles.
 */
const SHORT_TEXT = 64;

/** The UTF-8 bytes of `text`. */
function utf8Length(text: string): number {
  if (text.length > SHORT_TEXT) return Buffer.byteLength(text, "utf8");
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text, "utf8");
  return text.length;
}

/** Bytes of an unsigned varint below 2^32 (lengths). */
function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Writes an unsigned varint below 2^32; returns the offset after it. */
function writeVarint(out: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[at++] = n;
  return at;
}

/** Bytes of an int64 varint (a negative one takes ten: two's complement over 64 bits). */
function int64Size(n: number): number {
  if (n < 0) return 10;
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes a safe integer as an int64 varint; returns the offset after it. */
function writeInt64(out: Buffer, at: number, n: number): number {
  // Negative: its two's complement over 64 bits, as a BigInt (rare: times before 1970).
  if (n < 0) {
    let u = BigInt.asUintN(64, BigInt(n));
    for (let i = 0; i < 9; i++) {
      out[at++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    out[at++] = Number(u);
    return at;
  }
  while (n >= 0x80) {
    out[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

requireForSerialization("beam-ts-native/io/pubsub/message_bytes", exports);
