/**
 * Poison for the streaming pipeline: good transaction messages (as the ingest publisher makes them)
 * mixed with malformed ones of every kind an outside tester threw at it — random bytes, invalid
 * UTF-8, empty, 5 MB, wrong JSON types, deep nesting, garbage / negative / far-future timestamp
 * attributes and purchase dates, a 1,000-column CSV line, exact duplicates (a redelivery: counted and
 * dropped) and id conflicts (a bad message reusing a good one's `transaction_id`: a dead letter).
 * Deterministic for a seed.
 */
import { transactionLine } from "../fixtures/encoding";
import { seededRandom } from "../fixtures/prng";
import { transactionRows } from "../fixtures/transaction_rows";
import { EVENT_TIME_ATTRIBUTE, rowMessage, TRANSACTION_ID_ATTRIBUTE } from "../ingest/messages";

/** A message to publish. */
export interface ChaosMessage {
  data: Buffer;
  attributes: Record<string, string>;
}

/** The mix, and what the pipeline must make of it. */
export interface PoisonMix {
  messages: ChaosMessage[];
  /** Good transactions, each published once (a conflicting message may take its place: see `conflicts`). */
  good: number;
  /** Malformed messages (conflicts included): each must become a dead letter. */
  malformed: number;
  /** Exact copies of good messages: each must be counted as a duplicate, nothing else. */
  duplicates: number;
  /**
   * Malformed messages that reuse a good message's id. Whichever of the pair the pipeline reads first
   * is judged on its content, the second is a conflict: a dead letter either way, so the good
   * transactions written are between `good − conflicts` and `good`.
   */
  conflicts: number;
}

/** The kinds of malformed message, each a function of (a good message to spoil, a random source). */
const KINDS: Array<(good: ChaosMessage, next: () => number) => ChaosMessage> = [
  (_, next) => ({ data: Buffer.from(Array.from({ length: 1 + Math.floor(next() * 300) }, () => Math.floor(next() * 256))), attributes: {} }),
  (good) => ({ data: Buffer.concat([good.data.subarray(0, 20), Buffer.from([0xc3, 0x28, 0xff]), good.data.subarray(20)]), attributes: {} }),
  // Pub/Sub refuses a message with neither data nor attributes: an empty payload comes with one.
  () => ({ data: Buffer.alloc(0), attributes: { note: "empty payload" } }),
  (good) => ({ data: Buffer.from(withField(good, "User_ID", "[".repeat(10_000) + "]".repeat(10_000))), attributes: {} }),
  () => ({ data: Buffer.from("[".repeat(100_000) + "]".repeat(100_000)), attributes: {} }),
  (good) => ({ data: Buffer.from(withField(good, "Price (Rs.)", "true")), attributes: {} }),
  (good) => ({ data: Buffer.from(withField(good, "Quantity", '{"n":1}')), attributes: {} }),
  (good) => ({ data: Buffer.from(withField(good, "Purchase_Date", '"01-01-2300"')), attributes: { ...good.attributes, [TRANSACTION_ID_ATTRIBUTE]: `${good.attributes[TRANSACTION_ID_ATTRIBUTE]}-2300` } }),
  (good) => ({ data: Buffer.from(withField(good, "Purchase_Date", '"31-12-9999"')), attributes: {} }),
  (good) => timestamped(good, "-1"),
  (good) => timestamped(good, String(2 ** 53 + 1)),
  (good) => timestamped(good, "8640000000000000"),
  (good) => timestamped(good, "9999-12-31T23:59:59Z"),
  (good) => timestamped(good, "soon"),
  () => ({ data: Buffer.from(Array.from({ length: 1000 }, (_, i) => `c${i}`).join(",")), attributes: {} }),
  () => ({ data: Buffer.from('"just a string"'), attributes: {} }),
];

/** A good message's payload with one field's JSON replaced by `json` (raw JSON text). */
function withField(good: ChaosMessage, column: string, json: string): string {
  const object = JSON.parse(good.data.toString("utf8")) as Record<string, unknown>;
  object[column] = "\u0000PLACEHOLDER\u0000";
  return JSON.stringify(object).replace(JSON.stringify("\u0000PLACEHOLDER\u0000"), json);
}

/** A copy of a good message under a new id with a broken timestamp attribute. */
function timestamped(good: ChaosMessage, eventTime: string): ChaosMessage {
  return { data: good.data, attributes: { [EVENT_TIME_ATTRIBUTE]: eventTime, [TRANSACTION_ID_ATTRIBUTE]: `${good.attributes[TRANSACTION_ID_ATTRIBUTE]}-ts` } };
}

/**
 * `goodCount` good messages and `malformedCount` malformed ones (of every kind in turn, one of them
 * 5 MB, some reusing a good message's id), plus `duplicateCount` exact copies, shuffled.
 */
export function poisonMix(goodCount: number, malformedCount: number, duplicateCount: number, seed = 18): PoisonMix {
  if (goodCount % 10 !== 0 || malformedCount > goodCount || duplicateCount * 10 > goodCount) {
    throw new RangeError(`poisonMix: need a multiple of 10 good messages, at least as many as malformed and ten times the duplicates; got ${goodCount}, ${malformedCount}, ${duplicateCount}`);
  }
  const random = seededRandom(seed);
  const next = () => random.next();
  const good: ChaosMessage[] = [];
  for (const row of transactionRows({ rows: goodCount, seed })) {
    const message = rowMessage({ line: transactionLine(row, "jsonl") }, "jsonl")!;
    if (!message.valid) throw new Error(`poisonMix: the generator made an invalid row: ${message.data.toString("utf8")}`);
    good.push({ data: message.data, attributes: message.attributes });
  }
  const malformed: ChaosMessage[] = [];
  let conflicts = 0;
  for (let i = 0; i < malformedCount; i++) {
    const victim = good[i % good.length];
    let message = KINDS[i % KINDS.length](victim, next);
    if (i === 0) message = { data: Buffer.alloc(5 * 2 ** 20, "x"), attributes: {} };
    // Every tenth reuses its victim's id: a conflict, whichever of the two comes first (a payload
    // equal to the victim's would make it a duplicate instead).
    if (i % 10 === 5 && !message.data.equals(victim.data)) {
      message = { data: message.data, attributes: { ...message.attributes, [TRANSACTION_ID_ATTRIBUTE]: victim.attributes[TRANSACTION_ID_ATTRIBUTE] } };
      conflicts++;
    }
    malformed.push(message);
  }
  // Copies of messages no conflict touches (conflicts take indices 5, 15, 25…).
  const copies = Array.from({ length: duplicateCount }, (_, i) => good[(i * 10) % good.length]);
  const messages = [...good, ...malformed, ...copies];
  for (let i = messages.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [messages[i], messages[j]] = [messages[j], messages[i]];
  }
  return { messages, good: goodCount, malformed: malformedCount, duplicates: duplicateCount, conflicts };
}
