/**
 * The demo's other door (`npm run pipeline -- --source=gateway`): the sample goes through the gRPC
 * gateway instead of the publisher. Each distinct customer first gets a profile and a risk score,
 * then every row is sent as a transaction, in batches of {@link BATCH}, with its own purchase time
 * (the rows keep their dates, as with the publisher).
 *
 * The proto is typed (money in paise, times in ms), so a row whose values cannot even be written
 * in it (`12,50` as a price, 31-02-2024 as a date) is counted as not sendable; the rest are sent
 * as they are, and the gateway refuses the bad ones at the door (INVALID_ARGUMENT, with the field
 * and the reason) — nothing of them reaches Pub/Sub.
 */
import { forEachLineChunk } from "../io/files/text_files";
import { rowMessage } from "../ingest/messages";
import { GatewayClient, type OutgoingEvent } from "../ingest/gateway/client";
import { fieldViolationsOf } from "../ingest/gateway/rpc_status";
import type { TransactionData } from "../ingest/gateway/proto";

const BATCH = 100;
const DAY_MS = 86_400_000;
const DECIMAL = /^\s*\d+(\.\d{1,2})?\s*$/;
const WHOLE = /^\s*\d+\s*$/;
const DATE = /^(\d{2})-(\d{2})-(\d{4})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})$/;

/** What the gateway took and refused. */
export interface GatewayFeedCounts {
  /** Rows read from the inputs. */
  rows: number;
  /** Rows whose values the proto cannot carry (never sent). */
  notSendable: number;
  /** Events accepted: transactions, profiles and scores (all on Pub/Sub). */
  accepted: number;
  /** Transactions the gateway refused, and the first few reasons. */
  refused: number;
  refusals: string[];
  /** The event id of the last transaction accepted (for `npm run event`). */
  sampleEventId?: string;
  seconds: number;
}

/** A value as text, whatever JSON type it had. */
function raw(row: Record<string, unknown>, column: string): string {
  const value = row[column];
  return value === undefined || value === null ? "" : String(value);
}

/** Rupees as written (`1384.2`, `99`) in paise; undefined when not a plain decimal. */
function paise(written: string): string | undefined {
  if (!DECIMAL.test(written)) return undefined;
  const [whole, fraction = ""] = written.trim().split(".");
  return String(Number(whole) * 100 + Number(fraction.padEnd(2, "0")));
}

/** `dd-mm-yyyy` + `HH:MM:SS` (UTC) in ms; undefined when either is not a real date or time of day. */
function purchaseTimeMs(date: string, time: string): number | undefined {
  const d = DATE.exec(date.trim());
  const t = TIME.exec(time.trim());
  if (d === null || t === null) return undefined;
  const [day, month, year] = [Number(d[1]), Number(d[2]), Number(d[3])];
  const [hours, minutes, seconds] = [Number(t[1]), Number(t[2]), Number(t[3])];
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hours, minutes, seconds);
  // Date.UTC rolls 31-02 over into March: a real date reads back the same.
  const back = new Date(ms);
  return back.getUTCDate() === day && back.getUTCMonth() === month - 1 && ms >= 0 ? ms : undefined;
}

/** A row (its JSON payload) as a transaction message, or undefined when the proto cannot carry it. */
export function transactionOfRow(row: Record<string, unknown>): Partial<TransactionData> | undefined {
  const price = paise(raw(row, "Price (Rs.)"));
  const finalPrice = paise(raw(row, "Final_Price(Rs.)"));
  const discount = raw(row, "Discount (%)");
  const quantity = raw(row, "Quantity");
  const eventTimeMs = purchaseTimeMs(raw(row, "Purchase_Date"), raw(row, "Purchase_Time"));
  if (price === undefined || finalPrice === undefined || !WHOLE.test(discount) || !WHOLE.test(quantity) || eventTimeMs === undefined) return undefined;
  return {
    transaction_id: raw(row, "Transaction_ID"),
    user_id: raw(row, "User_ID"),
    product_id: raw(row, "Product_ID"),
    category: raw(row, "Category"),
    price_paise: price,
    discount_percent: Number(discount),
    final_price_paise: finalPrice,
    payment_method: raw(row, "Payment_Method"),
    event_time_ms: String(eventTimeMs),
    quantity: Number(quantity),
    sales_channel: raw(row, "Sales_Channel"),
    customer_state: raw(row, "Customer_State"),
    distribution_center: raw(row, "Distribution_Center"),
  };
}

/** A score for a customer, the same on every run (a hash of the id, 0–1000). */
function demoScore(userId: string): number {
  let h = 0;
  for (let i = 0; i < userId.length; i++) h = (h * 31 + userId.charCodeAt(i)) >>> 0;
  return h % 1001;
}

/** Sends `inputs` through the gateway at `address`; resolves once every call has been answered. */
export async function feedThroughGateway(inputs: string[], address: string): Promise<GatewayFeedCounts> {
  const started = Date.now();
  const transactions: Partial<TransactionData>[] = [];
  /** Each customer's state and first purchase time. */
  const customers = new Map<string, { state: string; firstMs: number }>();
  const counts: GatewayFeedCounts = { rows: 0, notSendable: 0, accepted: 0, refused: 0, refusals: [], seconds: 0 };
  for (const input of inputs) {
    const format = input.endsWith(".csv") ? "csv" : "jsonl";
    await forEachLineChunk(input, (lines) => {
      for (const line of lines) {
        const message = rowMessage(line, format);
        if (message === undefined) continue;
        counts.rows++;
        let row: Record<string, unknown> | undefined;
        try {
          row = JSON.parse(message.data.toString("utf8"));
        } catch {
          row = undefined;
        }
        const t = row && typeof row === "object" ? transactionOfRow(row) : undefined;
        if (t === undefined) {
          counts.notSendable++;
          continue;
        }
        transactions.push(t);
        const userId = t.user_id?.trim();
        const at = Number(t.event_time_ms);
        if (userId && at < (customers.get(userId)?.firstMs ?? Infinity)) customers.set(userId, { state: t.customer_state ?? "", firstMs: at });
      }
    });
  }
  const client = new GatewayClient(address);
  try {
    // Profiles and scores dated a day before the customer's first purchase: each purchase has a
    // score as of it (once the score is written — the pipeline reads the topics side by side).
    const profiles: OutgoingEvent[] = [...customers].flatMap(([userId, { state, firstMs }]) => [
      { client: { user_id: userId, name: `Customer ${userId}`, email: `${userId}@example.com`, state: state || "unknown", event_time_ms: String(Math.max(0, firstMs - DAY_MS)) } },
      { score: { user_id: userId, score: demoScore(userId), model: "demo-v1", event_time_ms: String(Math.max(0, firstMs - DAY_MS)) } },
    ]);
    const events: OutgoingEvent[] = [...profiles, ...transactions.map((transaction) => ({ transaction }))];
    for (let i = 0; i < events.length; i += BATCH) {
      const reply = await client.ingestBatch(events.slice(i, i + BATCH));
      counts.accepted += reply.accepted;
      for (const item of reply.items) {
        if (item.status.code === 0) {
          if (i + item.index >= profiles.length) counts.sampleEventId = item.event_id;
          continue;
        }
        counts.refused++;
        const [violation] = fieldViolationsOf(item.status.details);
        if (counts.refusals.length < 3) counts.refusals.push(violation ? `${violation.field.replace(/^events\[\d+\]\./, "")}: ${violation.description}` : item.status.message);
      }
    }
  } finally {
    client.close();
  }
  counts.seconds = (Date.now() - started) / 1000;
  return counts;
}
