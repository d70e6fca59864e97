/**
 * What the pipeline makes of the gateway's other events, and where each event ended up:
 *
 * - `clientes` (family `perfil`): one row per customer, key `<user_id>`. Every profile change is a
 *   new version of the cells, stamped with the change's event time, so a read returns the latest
 *   profile by event time — a late, older change never hides a newer one — and the row's versions
 *   are its history (as long as the table's GC rule keeps them).
 * - `scores` (family `score`): one row per customer, key `<user_id>`, the same way: the newest cell
 *   versions are the customer's most recent score by event time, so "the latest score of these
 *   customers" is one read of their rows, one cell per column.
 * - `eventos` (family `evento`): one row per gateway event the pipeline handled, key `<event_id>`
 *   (ULIDs: the table sorts by the time the events were accepted): `outcome` (`row` or
 *   `dead_letter`), and `table` + `row_key` of the row it became, or the dead letter's `step`,
 *   `field`, `reason` and `dead_letter_key`. `npm run event -- --event-id ID` reads it.
 * User ids in keys are percent-encoded like the transactions' (`#` → `%23`, `%` → `%25`).
 *
 * Payloads are the gateway's JSON (ingest/gateway/events.ts); the gateway validated them, but the
 * pipeline trusts no producer: a payload that is not what it should be becomes a dead letter.
 */
import * as beam from "apache-beam";
import { requireForSerialization } from "apache-beam/serialization";
import type { DeadLetter } from "./dead_letter";
import { keyPart, transactionRow, type BigtableCell, type BigtableRow } from "./bigtable_row";
import { EVENT_ID_ATTRIBUTE, type PubSubMessage } from "./parse_json";
import { deadLetterOf } from "./parse_result";
import type { Transaction } from "./transaction";

export const CLIENTS_TABLE = "clientes";
export const CLIENT_FAMILY = "perfil";
export const SCORES_TABLE = "scores";
export const SCORE_FAMILY = "score";
export const EVENTS_TABLE = "eventos";
export const EVENT_FAMILY = "evento";

/** Names of the parse steps, as in the job graph and in their dead letters' `step`. */
export const PARSE_CLIENT_STEP = "parseClientPayloads";
export const PARSE_SCORE_STEP = "parseScorePayloads";

/** A customer's profile, as of `eventTimeMs`. */
export interface CustomerProfile {
  userId: string;
  name: string;
  email: string;
  state: string;
  city: string;
  signupTimeMs: number;
  eventTimeMs: number;
  eventId?: string;
}

/** A customer's risk score (0–1000), as a model computed it at `eventTimeMs`. */
export interface RiskScore {
  userId: string;
  score: number;
  model: string;
  eventTimeMs: number;
  eventId?: string;
}

type Parsed<T> = { valid: T } | { deadLetter: DeadLetter };

/** The payload's JSON object and the message's event id, or the reason it is not an object. */
function payloadObject(message: PubSubMessage): { object: Record<string, unknown>; text: string } | { reason: string; text: string } {
  const text = typeof message.data === "string" ? message.data : Buffer.from(message.data).toString("utf8");
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return { object: parsed as Record<string, unknown>, text };
    return { reason: "expected a JSON object", text };
  } catch (error) {
    return { reason: `expected a JSON object, found invalid JSON (${(error as Error).message})`, text };
  }
}

/** Reads fields of one payload; the first bad one is thrown as a rejection (caught by `parseWith`). */
class FieldError {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {}
}

function text(o: Record<string, unknown>, field: string, required = true): string {
  const value = o[field];
  if (typeof value === "string" && (value.trim() !== "" || !required)) return value.trim();
  if (value === undefined && !required) return "";
  throw new FieldError(field, `${field} must be ${required ? "a non-empty string" : "a string"}, found ${JSON.stringify(value) ?? "nothing"}`);
}

function wholeNumber(o: Record<string, unknown>, field: string, min: number, max: number): number {
  const value = o[field];
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max) return value;
  throw new FieldError(field, `${field} must be a whole number from ${min} to ${max}, found ${JSON.stringify(value) ?? "nothing"}`);
}

const MAX_TIME_MS = 253_402_300_799_999;

function parseWith<T>(message: PubSubMessage, step: string, read: (o: Record<string, unknown>) => T): Parsed<T & { eventId?: string }>[] {
  const origin = message.messageId ? `pubsub:${message.messageId}` : undefined;
  const eventId = message.attributes?.[EVENT_ID_ATTRIBUTE] || undefined;
  const payload = payloadObject(message);
  if ("reason" in payload) return [{ deadLetter: deadLetterOf({ reason: payload.reason }, payload.text, origin, step, eventId) }];
  try {
    const value = read(payload.object) as T & { eventId?: string };
    if (eventId !== undefined) value.eventId = eventId;
    return [{ valid: value }];
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    // The payload's field names are the gateway's proto's, not the transaction columns.
    const letter = deadLetterOf({ reason: error.reason }, payload.text, origin, step, eventId);
    letter.field = error.field;
    return [{ deadLetter: letter }];
  }
}

/** The parse step's output for one message of the clients topic. */
export function parseClientMessage(message: PubSubMessage, step: string): Parsed<CustomerProfile>[] {
  return parseWith(message, step, (o) => ({
    userId: text(o, "user_id"),
    name: text(o, "name"),
    email: text(o, "email"),
    state: text(o, "state"),
    city: text(o, "city", false),
    signupTimeMs: wholeNumber(o, "signup_time_ms", 0, MAX_TIME_MS),
    eventTimeMs: wholeNumber(o, "event_time_ms", 0, MAX_TIME_MS),
  }));
}

/** The parse step's output for one message of the scores topic. */
export function parseScoreMessage(message: PubSubMessage, step: string): Parsed<RiskScore>[] {
  return parseWith(message, step, (o) => ({
    userId: text(o, "user_id"),
    score: wholeNumber(o, "score", 0, 1000),
    model: text(o, "model"),
    eventTimeMs: wholeNumber(o, "event_time_ms", 0, MAX_TIME_MS),
  }));
}

/** Parses the clients topic's messages into profiles; the rest become dead letters. */
export function parseClients(): beam.PTransform<beam.PCollection<PubSubMessage>, { valid: beam.PCollection<CustomerProfile>; deadLetter: beam.PCollection<DeadLetter> }> {
  const step = PARSE_CLIENT_STEP;
  return beam.withName(step, (messages: beam.PCollection<PubSubMessage>) =>
    messages.apply(beam.parDo({ process: (m: PubSubMessage) => parseClientMessage(m, step) })).apply(beam.split(["valid", "deadLetter"])),
  ) as never;
}

/** Parses the scores topic's messages into scores; the rest become dead letters. */
export function parseScores(): beam.PTransform<beam.PCollection<PubSubMessage>, { valid: beam.PCollection<RiskScore>; deadLetter: beam.PCollection<DeadLetter> }> {
  const step = PARSE_SCORE_STEP;
  return beam.withName(step, (messages: beam.PCollection<PubSubMessage>) =>
    messages.apply(beam.parDo({ process: (m: PubSubMessage) => parseScoreMessage(m, step) })).apply(beam.split(["valid", "deadLetter"])),
  ) as never;
}

function cells(values: [string, string | undefined][], timeMs: number): BigtableCell[] {
  const timestampMicros = Math.floor(timeMs) * 1000;
  const out: BigtableCell[] = [];
  for (const [qualifier, value] of values) if (value !== undefined) out.push({ qualifier, value, timestampMicros });
  return out;
}

/** A profile's row in `clientes` (see the module comment). */
export function clientRow(p: CustomerProfile): BigtableRow {
  return {
    key: keyPart(p.userId),
    family: CLIENT_FAMILY,
    cells: cells(
      [
        ["name", p.name],
        ["email", p.email],
        ["state", p.state],
        ["city", p.city],
        ["signup_time", new Date(p.signupTimeMs).toISOString()],
        ["event_time", new Date(p.eventTimeMs).toISOString()],
        ["event_id", p.eventId],
      ],
      p.eventTimeMs,
    ),
  };
}

/** A score's row in `scores` (see the module comment). */
export function scoreRow(s: RiskScore): BigtableRow {
  return {
    key: keyPart(s.userId),
    family: SCORE_FAMILY,
    cells: cells(
      [
        ["score", String(s.score)],
        ["model", s.model],
        ["event_time", new Date(s.eventTimeMs).toISOString()],
        ["event_id", s.eventId],
      ],
      s.eventTimeMs,
    ),
  };
}

/** A score as known when a transaction is written. */
export interface KnownScore {
  score: number;
  model: string;
  eventTimeMs: number;
  eventId?: string;
}

/** A transaction and its customer's most recent score as of the purchase, when one is known. */
export interface ScoredTransaction {
  transaction: Transaction;
  score?: KnownScore;
}

/**
 * The customer's most recent score as of `asOfMs`, from the cells of the customer's `scores` row
 * (several versions each): the newest score whose event time is not after the purchase — a score
 * computed after it did not inform it. Undefined when none is.
 */
export function scoreAsOf(cells: readonly { qualifier: string; value: string; timestampMicros: number }[] | undefined, asOfMs: number): KnownScore | undefined {
  if (cells === undefined) return undefined;
  const limit = asOfMs * 1000;
  let best: number | undefined;
  for (const c of cells) if (c.qualifier === "score" && c.timestampMicros <= limit && (best === undefined || c.timestampMicros > best)) best = c.timestampMicros;
  if (best === undefined) return undefined;
  const at = (qualifier: string) => cells.find((c) => c.qualifier === qualifier && c.timestampMicros === best)?.value;
  const known: KnownScore = { score: Number(at("score")), model: at("model") ?? "", eventTimeMs: best / 1000 };
  const eventId = at("event_id");
  if (eventId !== undefined) known.eventId = eventId;
  return known;
}

/**
 * A transaction's row (transforms/bigtable_row.ts) with its customer's score, when known, in
 * `customer_score`, `customer_score_model`, `customer_score_time` and `customer_score_event_id`
 * (stamped with the purchase's event time like the other cells: a replay rewrites the same cells).
 */
export function scoredTransactionRow(st: ScoredTransaction): BigtableRow {
  const row = transactionRow(st.transaction);
  const s = st.score;
  if (s === undefined) return row;
  row.cells.push(
    ...cells(
      [
        ["customer_score", String(s.score)],
        ["customer_score_model", s.model],
        ["customer_score_time", new Date(s.eventTimeMs).toISOString()],
        ["customer_score_event_id", s.eventId],
      ],
      st.transaction.eventTimeMs,
    ),
  );
  return row;
}

/** Where a transaction that came through the gateway went: its row in `table`. Empty for others. */
export function transactionEventRows(t: Transaction, table: string, rowKey: string): BigtableRow[] {
  if (t.eventId === undefined) return [];
  return [{ key: t.eventId, family: EVENT_FAMILY, cells: cells([["outcome", "row"], ["type", "transaction"], ["table", table], ["row_key", rowKey]], t.eventTimeMs) }];
}

/** Where a profile or a score went: its row. */
export function sideEventRows(e: { eventId?: string; eventTimeMs: number; userId: string }, type: "client" | "score", table: string): BigtableRow[] {
  if (e.eventId === undefined) return [];
  return [{ key: e.eventId, family: EVENT_FAMILY, cells: cells([["outcome", "row"], ["type", type], ["table", table], ["row_key", keyPart(e.userId)]], e.eventTimeMs) }];
}

/** Where a refused gateway event went: a dead letter, and why. Empty for inputs without an event id. */
export function deadLetterEventRows(d: DeadLetter, deadLetters: string, deadLetterKey: string): BigtableRow[] {
  if (d.eventId === undefined) return [];
  return [
    {
      key: d.eventId,
      family: EVENT_FAMILY,
      cells: cells(
        [
          ["outcome", "dead_letter"],
          ["dead_letters", deadLetters],
          ["dead_letter_key", deadLetterKey],
          ["step", d.step],
          ["field", d.field],
          ["reason", d.reason],
        ],
        d.timeMs,
      ),
    },
  ];
}

requireForSerialization("beam-ts-native/transforms/gateway_tables", exports);
