/**
 * Transactions from Parquet rows (`io/files/parquet.ts`) of the fraud generator's schema
 * (`ingest/generator/schema.ts`): the parse step cuts the 14 raw values of {@link TRANSACTION_COLUMNS}
 * out of a row, and the validate step every format shares checks them, so a Parquet row meets the
 * rules a CSV line or a Pub/Sub message meets.
 *
 * From the row's columns: `Transaction_ID` ← transaction_id, `User_ID` ← customer_id, `Product_ID`
 * ← product_id, `Category` ← category, `Price (Rs.)` ← unit_price_paise / 100, `Discount (%)` ←
 * discount_percent, `Final_Price(Rs.)` ← amount_paise / quantity / 100, `Payment_Method` ←
 * payment_method, `Purchase_Date` and `Purchase_Time` ← event_time (UTC), `Quantity` ← quantity,
 * `Sales_Channel` ← channel, `Customer_State` ← state, `Distribution_Center` ← distribution_center.
 * A null becomes a missing value (the validate step names the column). Money must be whole paise
 * and `event_time` a timestamp: otherwise the parse step refuses the row, naming the column.
 * `device_id`, `is_fraud` and `fraud_pattern`, when the row has `is_fraud`, become the
 * transaction's fraud labels.
 */
import type * as beam from "apache-beam";
import type { ParquetRow } from "./parquet_row";
import type { FraudLabels } from "./fraud_labels";
import type { ParseResult } from "./parse_result";
import type { TransactionColumn } from "./transaction";
import { parseStepOutput, parseThenValidate, type ParsedTransactions, type ParseStepOutput } from "./validate";
import { requireForSerialization } from "apache-beam/serialization";

/** Name of the Parquet parse step, as it appears in the job graph and in its dead letters' `step`. */
export const PARSE_PARQUET_STEP = "parseParquetRows";

type Values = ParquetRow["values"];

/** Whole paise as rupees with two decimals (`1234.50`), exactly; undefined for a null. */
function rupees(values: Values, column: string, field: TransactionColumn, divisor = 1): string | undefined {
  const paise = values[column];
  if (paise === null || paise === undefined) return undefined;
  if (typeof paise !== "number" || !Number.isInteger(paise)) throw { field, reason: `${column} must be whole paise, found ${JSON.stringify(paise)}` };
  const unit = paise / divisor;
  if (!Number.isInteger(unit)) throw { field, reason: `${column} (${paise}) is not a whole number of paise per unit over ${divisor} units` };
  const sign = unit < 0 ? "-" : "";
  const abs = Math.abs(unit);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

function pad2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** The 14 raw values of a row, in column order. */
function parquetRecordValues(values: Values): ParseResult<unknown[]> {
  try {
    const time = values.event_time;
    if (time !== null && time !== undefined && typeof time !== "number") throw { field: "Purchase_Date", reason: `event_time must be a timestamp, found ${JSON.stringify(time)}` };
    const at = typeof time === "number" ? new Date(time) : undefined;
    const quantity = values.quantity;
    const perUnit = typeof quantity === "number" && Number.isInteger(quantity) && quantity > 0 ? quantity : 1;
    const value = (column: string) => values[column] ?? undefined;
    return {
      ok: [
        value("transaction_id"),
        value("customer_id"),
        value("product_id"),
        value("category"),
        rupees(values, "unit_price_paise", "Price (Rs.)"),
        value("discount_percent"),
        rupees(values, "amount_paise", "Final_Price(Rs.)", perUnit),
        value("payment_method"),
        at && `${pad2(at.getUTCDate())}-${pad2(at.getUTCMonth() + 1)}-${at.getUTCFullYear()}`,
        at && `${pad2(at.getUTCHours())}:${pad2(at.getUTCMinutes())}:${pad2(at.getUTCSeconds())}`,
        value("quantity"),
        value("channel"),
        value("state"),
        value("distribution_center"),
      ],
    };
  } catch (rejection) {
    return { error: rejection as { field: TransactionColumn; reason: string } };
  }
}

/** The row's fraud labels; undefined when it has none; an error when they are malformed. */
function fraudLabels(values: Values): ParseResult<FraudLabels | undefined> {
  if (values.is_fraud === undefined) return { ok: undefined };
  const { device_id: deviceId, is_fraud: isFraud, fraud_pattern: pattern } = values;
  if (typeof isFraud !== "boolean") return { error: { reason: `is_fraud must be true or false, found ${JSON.stringify(isFraud)}` } };
  if (typeof deviceId !== "string" || deviceId.trim() === "") return { error: { reason: `device_id must be a device id, found ${JSON.stringify(deviceId)}` } };
  if (typeof pattern !== "string") return { error: { reason: `fraud_pattern must be text, found ${JSON.stringify(pattern)}` } };
  return { ok: { deviceId, isFraud, pattern } };
}

/** The Parquet parse step's output for one row (the body of its DoFn). */
export function parseParquetElement(row: ParquetRow, step: string): ParseStepOutput[] {
  const origin = `${row.file}:${row.rowNumber}`;
  const input = JSON.stringify(row.values);
  const labels = fraudLabels(row.values);
  if ("error" in labels) return [parseStepOutput(labels, input, origin, step)];
  const output = parseStepOutput(parquetRecordValues(row.values), input, origin, step);
  if ("record" in output && labels.ok !== undefined) output.record.fraud = labels.ok;
  return [output];
}

/** Parses Parquet rows of the fraud generator's schema into (fraud-labelled) transactions. */
export function parseParquetTransactions(): beam.PTransform<beam.PCollection<ParquetRow>, ParsedTransactions> {
  return parseThenValidate("parseParquetTransactions", PARSE_PARQUET_STEP, parseParquetElement);
}

requireForSerialization("beam-ts-native/transforms/parse_parquet", exports);
