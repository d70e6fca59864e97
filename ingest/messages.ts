/**
 * One Pub/Sub message per input row (seed 004): a JSON payload with the dataset's column names, and
 * the event time and transaction id as attributes when the row is good enough to have them.
 * Bad rows are published as they are — the pipeline must cope, and its dead letters say why — but
 * counted here, so the two counts can be checked against each other.
 */
import { TRANSACTION_COLUMNS } from "../transforms/transaction";
import { splitCsvLine } from "../transforms/csv_line";
import { csvLineRole, parseCsvLine } from "../transforms/parse_csv";
import { parseJsonLine } from "../transforms/parse_json";
import { isBlankLine, lineContent, type TextLine } from "../transforms/text_line";

/** Attribute holding the event time in milliseconds since the epoch (the pipeline's timestamp attribute). */
export const EVENT_TIME_ATTRIBUTE = "event_time_ms";
/** Attribute holding the transaction id (the pipeline's id attribute: redeliveries are deduplicated on it). */
export const TRANSACTION_ID_ATTRIBUTE = "transaction_id";

/** Attribute holding the event's id (a ULID, from the gateway): carried to the row and to the dead letter. */
export { EVENT_ID_ATTRIBUTE } from "../transforms/parse_json";
/** Attribute holding the event's type (`client`, `transaction`, `score`), on the gateway's messages. */
export const EVENT_TYPE_ATTRIBUTE = "event_type";

/** A message to publish, and whether its row was valid. */
export interface RowMessage {
  data: Buffer;
  attributes: Record<string, string>;
  /** Event time of a valid row (for pacing by event time); undefined for a bad row. */
  eventTimeMs?: number;
  valid: boolean;
}

/**
 * The message for one line of a CSV (`format: "csv"`) or JSON-lines file, or undefined for what is
 * not a record (blank lines, the CSV header on line 1).
 */
export function rowMessage(line: TextLine, format: "csv" | "jsonl"): RowMessage | undefined {
  if (isBlankLine(line.line)) return undefined;
  if (format === "csv" && csvLineRole(line.line, line.lineNumber) === "header") return undefined;
  const parsed = format === "csv" ? parseCsvLine(line.line) : parseJsonLine(line.line);
  const data = format === "csv" ? csvPayload(line.line) : Buffer.from(lineContent(line.line));
  if (!("ok" in parsed)) return { data, attributes: {}, valid: false };
  const t = parsed.ok;
  return {
    data,
    attributes: { [EVENT_TIME_ATTRIBUTE]: String(t.eventTimeMs), [TRANSACTION_ID_ATTRIBUTE]: t.transactionId },
    eventTimeMs: t.eventTimeMs,
    valid: true,
  };
}

/** A CSV record as a JSON object of its raw values; a line that is not 14 values is sent as it is. */
function csvPayload(line: string): Buffer {
  const values = splitCsvLine(lineContent(line));
  if (!("ok" in values) || values.ok.length !== TRANSACTION_COLUMNS.length) return Buffer.from(lineContent(line));
  const row: Record<string, string> = {};
  TRANSACTION_COLUMNS.forEach((column, i) => (row[column] = values.ok[i]));
  return Buffer.from(JSON.stringify(row));
}
