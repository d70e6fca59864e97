/**
 * Transactions from JSON: JSON-lines files and Pub/Sub message payloads, each a JSON object whose
 * keys are the CSV column names ({@link TRANSACTION_COLUMNS}). Values may be strings or numbers;
 * keys beyond the 14 are ignored (publishers may add their own, such as an event id), missing keys
 * are field errors of the validate step. Unparseable JSON or a value that is not an object is a
 * row-level dead letter of the parse step.
 *
 * Blank lines of a JSON-lines file are skipped, as in CSV; a Pub/Sub message is never skipped: an
 * empty payload is a dead letter. A line or message its reader refused (`refusal`: not UTF-8, an
 * unusable timestamp attribute, an id conflict…) is a dead letter with the reader's reason.
 */
import type * as beam from "apache-beam";
import { TRANSACTION_COLUMNS, type Transaction } from "./transaction";
import { transactionFromValues } from "./transaction_fields";
import { asTextLine, isBlankLine, lineContent, type TextLine } from "./text_line";
import type { ParseResult } from "./parse_result";
import { parseStepOutput, refusedInput, parseThenValidate, type ParsedTransactions, type ParseStepOutput } from "./validate";
import { requireForSerialization } from "apache-beam/serialization";

/** Name of the JSON-lines parse step, as it appears in the job graph and in its dead letters' `step`. */
export const PARSE_JSON_STEP = "parseJsonLines";
/** Name of the Pub/Sub parse step, as it appears in the job graph and in its dead letters' `step`. */
export const PARSE_PUBSUB_STEP = "parsePubSubPayloads";

/** The message attribute holding the gateway's event id, carried to the transaction and to its dead letter. */
export const EVENT_ID_ATTRIBUTE = "event_id";

/** A Pub/Sub message as sources deliver it (structurally Beam's `PubsubMessage`). */
export interface PubSubMessage {
  data: Uint8Array | string;
  messageId?: string;
  attributes?: Record<string, string>;
  /** Why the read refuses it (an unusable timestamp attribute, a conflicting id): it becomes a dead letter. */
  refusal?: string;
}

/** What the Pub/Sub parser accepts: a bare payload (bytes or text) or a message with its id. */
export type PubSubPayload = Uint8Array | string | PubSubMessage;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder("utf-8");

/** The 14 raw values of a JSON object text. Row-level errors: not JSON, not an object. */
function jsonRecordValues(text: string): ParseResult<unknown[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(lineContent(text));
  } catch (err) {
    return { error: { reason: `expected a JSON object, found invalid JSON (${(err as Error).message})` } };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    const found = parsed === null ? "null" : Array.isArray(parsed) ? "an array" : `a ${typeof parsed}`;
    return { error: { reason: `expected a JSON object, found ${found}` } };
  }
  const object = parsed as Record<string, unknown>;
  // A loop rather than a map over a closure: this runs for every message (see bigtable_row.ts).
  const values: unknown[] = new Array(TRANSACTION_COLUMNS.length);
  for (let i = 0; i < TRANSACTION_COLUMNS.length; i++) values[i] = object[TRANSACTION_COLUMNS[i]];
  return { ok: values };
}

/** Parses and validates one JSON object text (a JSON line) into a transaction, for plain loops. */
export function parseJsonLine(line: string): ParseResult<Transaction> {
  const values = jsonRecordValues(line);
  return "error" in values ? values : transactionFromValues(values.ok);
}

/** The JSON-lines parse step's output for one line (the body of its DoFn). */
export function parseJsonElement(element: string | TextLine, step: string): ParseStepOutput[] {
  const textLine = asTextLine(element);
  if (textLine.refusal !== undefined) return [refusedInput(textLine.refusal, textLine.line, textLine, step)];
  if (isBlankLine(textLine.line)) return [];
  return [parseStepOutput(jsonRecordValues(textLine.line), textLine.line, textLine, step)];
}

/** The payload of a message as text; bytes must be valid UTF-8. */
function payloadText(payload: Uint8Array | string): ParseResult<string> {
  if (typeof payload === "string") return { ok: payload };
  try {
    return { ok: strictUtf8.decode(payload) };
  } catch {
    return { error: { reason: "expected a UTF-8 JSON payload, found bytes that are not valid UTF-8" } };
  }
}

/** Parses and validates one Pub/Sub payload into a transaction, for plain loops. */
export function parsePubSubPayload(payload: Uint8Array | string): ParseResult<Transaction> {
  const text = payloadText(payload);
  return "error" in text ? text : parseJsonLine(text.ok);
}

/** The Pub/Sub parse step's output for one message (the body of its DoFn). */
export function parsePubSubElement(element: PubSubPayload, step: string): ParseStepOutput[] {
  const message: PubSubMessage = typeof element === "string" || element instanceof Uint8Array ? { data: element } : element;
  // The message itself is each output's origin: `pubsub:<id>` is made only for a dead letter (see originText).
  const eventId = message.attributes?.[EVENT_ID_ATTRIBUTE] || undefined;
  const text = payloadText(message.data);
  if (message.refusal !== undefined) {
    return [refusedInput(message.refusal, "ok" in text ? text.ok : lenientUtf8.decode(message.data as Uint8Array), message, step)];
  }
  if ("error" in text) {
    // The dead letter keeps what can be shown of the bytes; the reason says they were not clean.
    return [parseStepOutput(text, lenientUtf8.decode(message.data as Uint8Array), message, step, eventId)];
  }
  return [parseStepOutput(jsonRecordValues(text.ok), text.ok, message, step, eventId)];
}

/**
 * Parses JSON lines into transactions. Input: {@link TextLine} records (file and line number become
 * the dead letter's origin) or bare strings.
 */
export function parseJsonTransactions(): beam.PTransform<beam.PCollection<string | TextLine>, ParsedTransactions> {
  return parseThenValidate("parseJsonTransactions", PARSE_JSON_STEP, parseJsonElement);
}

/**
 * Parses Pub/Sub payloads into transactions: the streaming pipeline's input. Input: payloads as
 * bytes or text, or {@link PubSubMessage}s (their id becomes the dead letter's origin, `pubsub:<id>`).
 */
export function parsePubSubTransactions(): beam.PTransform<beam.PCollection<PubSubPayload>, ParsedTransactions> {
  return parseThenValidate("parsePubSubTransactions", PARSE_PUBSUB_STEP, parsePubSubElement);
}

requireForSerialization("beam-ts-native/transforms/parse_json", exports);
