/**
 * How a transaction is stored in Bigtable: seed 004's table `transacoes`, column family `dados`.
 *
 * Row key: `<userId>#<reverse timestamp>#<transactionId>`, e.g. `005258a0#998235030767923#T-17`.
 * - User id first: consecutive writes belong to many users, so they spread over the key space and
 *   the tablet servers instead of piling onto the newest tablet, as a time-first key would.
 * - Reverse timestamp next (999999999999999 − event time in ms, zero-padded to 15 digits): one user's
 *   rows sort newest first, so "a user's latest purchases" is a prefix scan of `<userId>#` that stops
 *   after N rows. Seed 004 used the same idea with 13 digits; 15 cover every date `Purchase_Date`
 *   can express (up to year 9999), so no valid transaction can produce a key that sorts wrongly.
 * - Transaction id last: two purchases of one user in the same millisecond still get distinct rows.
 * The key depends on nothing but the transaction, and cell timestamps are the event time: a replay
 * (Pub/Sub redelivery, a rerun batch) rewrites the very same cells, so writes are idempotent.
 *
 * `#` and `%` inside ids are percent-encoded (`%23`, `%25`), so a `#` in a user id can neither split
 * the key wrongly nor let the prefix scan of one user return another's rows.
 */
import * as beam from "apache-beam";
import type { Transaction } from "./transaction";
import { formatRupees } from "./money";
import { THREE_DIGITS, TWO_DIGITS, wholeNumberText } from "./decimal_text";
import { requireForSerialization } from "apache-beam/serialization";

/** Bigtable table holding one row per transaction (seed 004's name). */
export const TRANSACTIONS_TABLE = "transacoes";
/** Seed 004's Bigtable instance, holding the e-commerce tables. */
export const ECOMMERCE_INSTANCE = "e-commerce-data";
/** The column family of every transaction cell (seed 004's name). */
export const TRANSACTION_FAMILY = "dados";

/** Column qualifiers of a transaction row; seed 004's four (`category`, `final_price`, `payment`, `price`) and the rest. */
export const TRANSACTION_QUALIFIERS = [
  "transaction_id",
  "user_id",
  "product_id",
  "category",
  "price",
  "discount",
  "final_price",
  "payment",
  "quantity",
  "channel",
  "state",
  "distribution_center",
  "event_time",
] as const;

/** The qualifier of the gateway's event id, in rows of transactions that came through it. */
export const EVENT_ID_QUALIFIER = "event_id";

/** One of {@link TRANSACTION_QUALIFIERS}. */
export type TransactionQualifier = (typeof TRANSACTION_QUALIFIERS)[number];

/** One cell to write. Values are UTF-8 text so `cbt read` shows them as they are. */
export interface BigtableCell {
  /** A {@link TransactionQualifier} in transaction rows; other tables (aggregates, dead letters) have their own. */
  qualifier: string;
  value: string;
  /** Bigtable's unit (microseconds), at millisecond granularity as Bigtable requires. */
  timestampMicros: number;
}

/** A row mutation as plain data (no client classes, so it can travel between DoFns). */
export interface BigtableRow {
  key: string;
  family: string;
  cells: BigtableCell[];
}

const REVERSE_TIME_BASE = 999_999_999_999_999;
const REVERSE_TIME_DIGITS = 15;
const MICROS_PER_MS = 1000;

/** A key component with `%` and `#` percent-encoded; ids without them (all real ones) are unchanged. */
export function keyPart(id: string): string {
  if (id.indexOf("#") === -1 && id.indexOf("%") === -1) return id;
  return id.replace(/%/g, "%25").replace(/#/g, "%23");
}

/** The row key of a transaction (see the module comment for the design). */
export function transactionRowKey(t: Transaction): string {
  const reverseTime = wholeNumberText(REVERSE_TIME_BASE - t.eventTimeMs).padStart(REVERSE_TIME_DIGITS, "0");
  return `${keyPart(t.userId)}#${reverseTime}#${keyPart(t.transactionId)}`;
}

/** The row key prefix of all of a user's transactions; a scan over it returns them newest first. */
export function userRowPrefix(userId: string): string {
  return `${keyPart(userId)}#`;
}

/** The value of each cell of a transaction's row, in the order of {@link TRANSACTION_QUALIFIERS}. */
export function cellValues(t: Transaction): string[] {
  return [
    t.transactionId,
    t.userId,
    t.productId,
    t.category,
    formatRupees(t.pricePaise),
    String(t.discountPercent),
    formatRupees(t.finalPricePaise),
    t.paymentMethod,
    String(t.quantity),
    t.salesChannel,
    t.customerState,
    t.distributionCenter,
    isoTime(t.eventTimeMs),
  ];
}

/** The Bigtable row of a transaction: its key, and one cell per qualifier, all stamped with the event time. */
export function transactionRow(t: Transaction): BigtableRow {
  // A plain loop, not a map over a record: this runs for every transaction, and the closure version
  // (as ts-closure-transform rewrites it) was a quarter of the streaming pipeline's own CPU time.
  const values = cellValues(t);
  const timestampMicros = t.eventTimeMs * MICROS_PER_MS;
  const cells: BigtableCell[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) cells[i] = { qualifier: TRANSACTION_QUALIFIERS[i], value: values[i], timestampMicros };
  if (t.eventId !== undefined) cells.push({ qualifier: EVENT_ID_QUALIFIER, value: t.eventId, timestampMicros });
  return { key: transactionRowKey(t), family: TRANSACTION_FAMILY, cells };
}

const MS_PER_DAY = 86_400_000;
/** The last day {@link isoTime} formatted: rows come roughly in time order, so it is nearly always the next one's. */
const lastDay = { day: NaN, prefix: "" };

/**
 * `new Date(ms).toISOString()` (`2024-01-01T00:01:19.000Z`), made without a Date: the day's part is
 * kept from the last call, the time of day is looked up digits. This runs for every row, and the
 * Date cost a fifth of a row's JSON.
 */
export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || Math.abs(ms) > 8.64e15) return new Date(ms).toISOString();
  const day = Math.floor(ms / MS_PER_DAY);
  if (day !== lastDay.day) {
    lastDay.prefix = new Date(day * MS_PER_DAY).toISOString().slice(0, -"00:00:00.000Z".length);
    lastDay.day = day;
  }
  const inDay = ms - day * MS_PER_DAY;
  const seconds = Math.floor(inDay / 1000);
  return `${lastDay.prefix}${TWO_DIGITS[Math.floor(seconds / 3600)]}:${TWO_DIGITS[Math.floor(seconds / 60) % 60]}:${TWO_DIGITS[seconds % 60]}.${THREE_DIGITS[inDay % 1000]}Z`;
}

/** What JSON.stringify escapes in a string: quotes, backslashes, control characters, lone surrogates (checked with pairs). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `text` as the inside of a JSON string: as it is unless it holds a character JSON escapes. */
function jsonText(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text).slice(1, -1) : text;
}

/**
 * A transaction's row as one JSON line, for files standing in for the table (the batch ETL): its
 * key, family, the one cell timestamp all its cells share, and the cells as qualifier → value —
 * `{"key":…,"family":"dados","timestampMicros":…,"cells":{"transaction_id":…,…}}`, the same content
 * as {@link transactionRow}, cells in the order of {@link TRANSACTION_QUALIFIERS}. One template, the
 * quotes in its constant text: this runs for every row of a batch, and building the row's objects to
 * stringify them, or quoting each value apart, cost more than the rest of the ETL together.
 */
export function transactionRowJson(t: Transaction): string {
  // Joined, not concatenated: `+` and templates make a tree of ~50 strings per row that the file
  // sink's join then walks to copy; a join copies the parts once into one flat string.
  const transactionId = jsonText(t.transactionId);
  const userId = jsonText(t.userId);
  // The key is the two ids, '#'s and digits: it needs escaping exactly when one of the ids did.
  const key = transactionRowKey(t);
  const keyText = transactionId === t.transactionId && userId === t.userId ? key : jsonText(key);
  return [
    '{"key":"', keyText, '","family":"', TRANSACTION_FAMILY, '","timestampMicros":', wholeNumberText(t.eventTimeMs * MICROS_PER_MS), ',"cells":{',
    '"transaction_id":"', transactionId, '","user_id":"', userId, '","product_id":"', jsonText(t.productId),
    '","category":"', jsonText(t.category), '","price":"', formatRupees(t.pricePaise), '","discount":"', String(t.discountPercent),
    '","final_price":"', formatRupees(t.finalPricePaise), '","payment":"', jsonText(t.paymentMethod), '","quantity":"', String(t.quantity),
    '","channel":"', jsonText(t.salesChannel), '","state":"', jsonText(t.customerState),
    '","distribution_center":"', jsonText(t.distributionCenter), '","event_time":"', isoTime(t.eventTimeMs), '"}}',
  ].join("");
}

/** Maps transactions to their Bigtable rows, ready for a Bigtable sink. */
export function toBigtableRows(): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<BigtableRow>> {
  return beam.withName("toBigtableRows", (transactions: beam.PCollection<Transaction>) =>
    transactions.map(beam.withName("transactionRow", (t: Transaction) => transactionRow(t))),
  );
}

requireForSerialization("beam-ts-native/transforms/bigtable_row", exports);
