/**
 * From a request's message to the Pub/Sub message of its event, or the list of what is wrong with
 * it. One rule for transactions wherever they come from: the 14 fixture columns go through the
 * pipeline's own validator (`transforms/transaction_fields.ts`), so the gateway refuses, at the
 * door and with the field's name, exactly what the pipeline would have dead-lettered.
 *
 * Payloads are JSON: a transaction's keys are the fixture columns (the pipeline's parser reads it
 * unchanged) plus `event_id`; clients' and scores' keys are the proto's field names. Attributes:
 * `event_id`, `event_type`, `event_time_ms` (the pipeline's timestamp attribute) and, for a
 * transaction, `transaction_id`.
 */
import { TRANSACTION_COLUMNS, type TransactionColumn } from "../../transforms/transaction";
import { transactionFromValues } from "../../transforms/transaction_fields";
import { EVENT_ID_ATTRIBUTE, EVENT_TIME_ATTRIBUTE, EVENT_TYPE_ATTRIBUTE, TRANSACTION_ID_ATTRIBUTE } from "../messages";
import { checkedEventId, newEventId } from "./event_id";
import type { ClientData, Int64, ScoreData, TransactionData } from "./proto";
import type { FieldViolation } from "./rpc_status";

/** The three kinds of event, each with its topic. */
export type EventType = "client" | "transaction" | "score";
export const EVENT_TYPES: readonly EventType[] = ["client", "transaction", "score"];

/** An accepted event, ready to publish. */
export interface GatewayEvent {
  type: EventType;
  eventId: string;
  eventTimeMs: number;
  data: Buffer;
  attributes: Record<string, string>;
}

/** An event to publish, or every violation found (and the event id when that part was valid). */
export type CheckedEvent = { ok: GatewayEvent } | { violations: FieldViolation[]; eventId?: string };

/** Longest text accepted in any field: ids, names and e-mails are short; a megabyte "name" is not a name. */
export const MAX_TEXT_LENGTH = 1024;
/** The last millisecond of 9999-12-31 (the pipeline's row keys and dates cover up to year 9999). */
const MAX_TIME_MS = 253_402_300_799_999;
const MAX_SCORE = 1000;

/** Collects violations against the fields of one message, named under `prefix` (e.g. `events[2].score.`). */
class Checker {
  readonly violations: FieldViolation[] = [];
  constructor(private readonly prefix: string) {}

  add(field: string, description: string): void {
    this.violations.push({ field: this.prefix + field, description });
  }

  /** A required text field, trimmed. */
  text(value: string, field: string): string {
    const trimmed = (value ?? "").trim();
    if (trimmed === "") this.add(field, `${field} is required, found an empty value`);
    else if (trimmed.length > MAX_TEXT_LENGTH) this.add(field, `${field} must be at most ${MAX_TEXT_LENGTH} characters, found ${trimmed.length}`);
    return trimmed;
  }

  /** An optional text field, trimmed. */
  optionalText(value: string, field: string): string {
    const trimmed = (value ?? "").trim();
    if (trimmed.length > MAX_TEXT_LENGTH) this.add(field, `${field} must be at most ${MAX_TEXT_LENGTH} characters, found ${trimmed.length}`);
    return trimmed;
  }

  /** An int64 within [min, max]; NaN when not. */
  int64(value: Int64, field: string, min: number, max: number): number {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.add(field, `${field} must be a whole number from ${min} to ${max}, found ${value}`);
      return NaN;
    }
    return n;
  }

  /** The client's event id (canonical), or a new one when empty. */
  eventId(value: string): string | undefined {
    if (!value) return newEventId();
    const checked = checkedEventId(value);
    if ("ok" in checked) return checked.ok;
    this.add("event_id", checked.error);
    return undefined;
  }

  /** An event time in ms: the receive time when 0 (unset). */
  eventTime(value: Int64, receivedAtMs: number): number {
    const n = this.int64(value, "event_time_ms", 0, MAX_TIME_MS);
    return n === 0 ? receivedAtMs : n;
  }

  result(type: EventType, eventId: string | undefined, eventTimeMs: number, payload: object, extra: Record<string, string> = {}): CheckedEvent {
    if (this.violations.length > 0 || eventId === undefined) return { violations: this.violations, eventId };
    // Assigned rather than computed keys: imported names as computed keys break the closure transform (README).
    const attributes: Record<string, string> = {};
    attributes[EVENT_ID_ATTRIBUTE] = eventId;
    attributes[EVENT_TYPE_ATTRIBUTE] = type;
    attributes[EVENT_TIME_ATTRIBUTE] = String(eventTimeMs);
    Object.assign(attributes, extra);
    return { ok: { type, eventId, eventTimeMs, data: Buffer.from(JSON.stringify(payload)), attributes } };
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A customer's profile. */
export function checkClient(m: ClientData, prefix: string, receivedAtMs: number): CheckedEvent {
  const c = new Checker(prefix);
  const eventId = c.eventId(m.event_id);
  const payload = {
    event_id: eventId,
    user_id: c.text(m.user_id, "user_id"),
    name: c.text(m.name, "name"),
    email: c.text(m.email, "email"),
    state: c.text(m.state, "state"),
    city: c.optionalText(m.city, "city"),
    signup_time_ms: c.int64(m.signup_time_ms, "signup_time_ms", 0, MAX_TIME_MS),
    event_time_ms: c.eventTime(m.event_time_ms, receivedAtMs),
  };
  if (payload.email !== "" && !EMAIL.test(payload.email)) c.add("email", `email must look like name@domain.tld, found ${JSON.stringify(payload.email)}`);
  return c.result("client", eventId, payload.event_time_ms, payload);
}

/** A customer's risk score. */
export function checkScore(m: ScoreData, prefix: string, receivedAtMs: number): CheckedEvent {
  const c = new Checker(prefix);
  const eventId = c.eventId(m.event_id);
  const payload = {
    event_id: eventId,
    user_id: c.text(m.user_id, "user_id"),
    score: m.score,
    model: c.text(m.model, "model"),
    event_time_ms: c.eventTime(m.event_time_ms, receivedAtMs),
  };
  if (m.score > MAX_SCORE) c.add("score", `score must be from 0 to ${MAX_SCORE}, found ${m.score}`);
  return c.result("score", eventId, payload.event_time_ms, payload);
}

/** Which proto field carries each fixture column (for the validator's rejections). */
const FIELD_OF_COLUMN = new Map<TransactionColumn, string>([
  ["Transaction_ID", "transaction_id"],
  ["User_ID", "user_id"],
  ["Product_ID", "product_id"],
  ["Category", "category"],
  ["Price (Rs.)", "price_paise"],
  ["Discount (%)", "discount_percent"],
  ["Final_Price(Rs.)", "final_price_paise"],
  ["Payment_Method", "payment_method"],
  ["Purchase_Date", "event_time_ms"],
  ["Purchase_Time", "event_time_ms"],
  ["Quantity", "quantity"],
  ["Sales_Channel", "sales_channel"],
  ["Customer_State", "customer_state"],
  ["Distribution_Center", "distribution_center"],
]);

/** The largest amount in paise that is still exact as a double once divided into rupees. */
const MAX_PAISE = Number.MAX_SAFE_INTEGER;

/**
 * A purchase. The fixture's `Purchase_Time` is `HH:MM:SS`, so the payload carries the event time to
 * the second; the `event_time_ms` attribute (the pipeline's element timestamp) keeps the milliseconds.
 */
export function checkTransaction(m: TransactionData, prefix: string, receivedAtMs: number): CheckedEvent {
  const c = new Checker(prefix);
  const eventId = c.eventId(m.event_id);
  const texts = {
    transaction_id: c.text(m.transaction_id, "transaction_id"),
    user_id: c.text(m.user_id, "user_id"),
    product_id: c.text(m.product_id, "product_id"),
    category: c.text(m.category, "category"),
    payment_method: c.text(m.payment_method, "payment_method"),
    sales_channel: c.text(m.sales_channel, "sales_channel"),
    customer_state: c.text(m.customer_state, "customer_state"),
    distribution_center: c.text(m.distribution_center, "distribution_center"),
  };
  const price = c.int64(m.price_paise, "price_paise", 0, MAX_PAISE);
  const finalPrice = c.int64(m.final_price_paise, "final_price_paise", 0, MAX_PAISE);
  const eventTimeMs = c.eventTime(m.event_time_ms, receivedAtMs);
  if (m.quantity < 1) c.add("quantity", `quantity must be at least 1, found ${m.quantity}`);
  if (c.violations.length > 0) return c.result("transaction", eventId, eventTimeMs, {});

  const time = new Date(eventTimeMs).toISOString();
  const values: unknown[] = [
    texts.transaction_id,
    texts.user_id,
    texts.product_id,
    texts.category,
    rupees(price),
    String(m.discount_percent),
    rupees(finalPrice),
    texts.payment_method,
    `${time.slice(8, 10)}-${time.slice(5, 7)}-${time.slice(0, 4)}`,
    time.slice(11, 19),
    String(m.quantity),
    texts.sales_channel,
    texts.customer_state,
    texts.distribution_center,
  ];
  const checked = transactionFromValues(values);
  if ("error" in checked) c.add(FIELD_OF_COLUMN.get(checked.error.field!) ?? "transaction", checked.error.reason);
  const payload: Record<string, unknown> = {};
  for (let i = 0; i < TRANSACTION_COLUMNS.length; i++) payload[TRANSACTION_COLUMNS[i]] = values[i];
  payload.event_id = eventId;
  const extra: Record<string, string> = {};
  extra[TRANSACTION_ID_ATTRIBUTE] = texts.transaction_id;
  return c.result("transaction", eventId, eventTimeMs, payload, extra);
}

/** Paise as rupees with two decimals: 138420 → `1384.20`. */
export function rupees(paise: number): string {
  const whole = Math.trunc(paise / 100);
  return `${whole}.${String(paise % 100).padStart(2, "0")}`;
}
