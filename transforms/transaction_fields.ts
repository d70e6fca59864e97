/**
 * From 14 raw column values to a {@link Transaction}: conversion and validation of every field,
 * shared by the CSV, JSON-lines and Pub/Sub parsers so that one rule holds whatever the format.
 *
 * Rules (each broken rule names its column in the rejection):
 * - every column is required and non-empty after trimming; text values are stored trimmed;
 * - text columns take a string or a JSON number (ids are sometimes sent as numbers);
 * - numeric columns take a JSON number or a decimal string with `.` as the decimal point
 *   (`12.50`; not `12,50`, `₹100`, `1e3`, `0x10`);
 * - `Price (Rs.)` and `Final_Price(Rs.)` are at least 0 and have at most two decimals (they are kept
 *   as integer paise, see money.ts); `Discount (%)` is between 0 and 100;
 * - `Final_Price(Rs.)` equals price × (1 − discount/100) within {@link FINAL_PRICE_TOLERANCE_PAISE}
 *   (one paisa: the data rounds to the paisa; checked only once each of the three is valid on its own);
 * - `Purchase_Date` is `dd-mm-yyyy`, a real calendar date, from 01-01-1970 to 31-12-2099: event
 *   times and Bigtable cell timestamps count from the Unix epoch and cannot be negative, and a
 *   purchase generations away is a mistake, not a sale (the bound also keeps every event time far
 *   inside what Beam timestamps and Bigtable's millisecond cells accept);
 * - `Purchase_Time` is `HH:MM:SS` on a 24-hour clock; together they give `eventTimeMs` in UTC;
 * - `Quantity` is a whole number of at least 1.
 * Fields are checked in column order and the first broken rule is reported.
 */
import { TRANSACTION_COLUMNS, type Transaction, type TransactionColumn } from "./transaction";
import type { ParseResult } from "./parse_result";
import { formatRupees, paiseOfRupees, type Paise } from "./money";
import { showValue } from "./shown_value";
import { requireForSerialization } from "apache-beam/serialization";

/** Largest accepted difference, in paise, between `Final_Price(Rs.)` and price × (1 − discount/100). */
export const FINAL_PRICE_TOLERANCE_PAISE = 1;
// Absorbs binary floating point error in price × (1 − discount/100), so that exactly one paisa passes.
const FLOAT_SLACK = 1e-9;

const MS_PER_SECOND = 1000;
const EARLIEST_YEAR = 1970;
const LATEST_YEAR = 2099;
const COLUMN_INDEX = Object.fromEntries(TRANSACTION_COLUMNS.map((column, index) => [column, index])) as Record<
  TransactionColumn,
  number
>;

/** A broken rule, thrown inside this module only: unwinding beats threading a result through 14 checks. */
class FieldRejection {
  constructor(
    readonly field: TransactionColumn,
    readonly reason: string,
  ) {}
}

function reject(field: TransactionColumn, reason: string): never {
  throw new FieldRejection(field, reason);
}

/**
 * Converts and validates the raw values of one record, given in {@link TRANSACTION_COLUMNS} order
 * (CSV fields as strings; JSON values as strings or numbers; `undefined` for a missing key).
 */
export function transactionFromValues(values: readonly unknown[]): ParseResult<Transaction> {
  try {
    const transactionId = text(values, COLUMN_INDEX.Transaction_ID);
    const userId = text(values, COLUMN_INDEX.User_ID);
    const productId = text(values, COLUMN_INDEX.Product_ID);
    const category = text(values, COLUMN_INDEX.Category);
    const pricePaise = paise(values, COLUMN_INDEX["Price (Rs.)"]);
    const discountPercent = decimal(values, COLUMN_INDEX["Discount (%)"]);
    if (discountPercent < 0 || discountPercent > 100) {
      reject("Discount (%)", `Discount (%) must be between 0 and 100, found ${discountPercent}`);
    }
    const finalPricePaise = paise(values, COLUMN_INDEX["Final_Price(Rs.)"]);
    const paymentMethod = text(values, COLUMN_INDEX.Payment_Method);
    const dayMs = purchaseDateMs(values[COLUMN_INDEX.Purchase_Date]);
    const timeOfDayMs = purchaseTimeMs(values[COLUMN_INDEX.Purchase_Time]);
    const quantity = decimal(values, COLUMN_INDEX.Quantity);
    if (!Number.isSafeInteger(quantity) || quantity < 1) {
      reject("Quantity", `Quantity must be a whole number of at least 1, found ${quantity}`);
    }
    const salesChannel = text(values, COLUMN_INDEX.Sales_Channel);
    const customerState = text(values, COLUMN_INDEX.Customer_State);
    const distributionCenter = text(values, COLUMN_INDEX.Distribution_Center);
    checkFinalPrice(pricePaise, discountPercent, finalPricePaise, values[COLUMN_INDEX["Final_Price(Rs.)"]]);
    return {
      ok: {
        transactionId, userId, productId, category, pricePaise, discountPercent, finalPricePaise, paymentMethod,
        quantity, salesChannel, customerState, distributionCenter, eventTimeMs: dayMs + timeOfDayMs,
      },
    };
  } catch (err) {
    if (err instanceof FieldRejection) return { error: { field: err.field, reason: err.reason } };
    throw err;
  }
}

/** The trimmed, non-empty text of a value that must be a string; rejects anything else. */
function presentText(value: unknown, column: TransactionColumn, expected: string): string {
  if (typeof value === "string") {
    // Most values have nothing to trim: two character tests instead of a call that scans the value.
    if (value.length !== 0 && !isTrimmable(value.charCodeAt(0)) && !isTrimmable(value.charCodeAt(value.length - 1))) return value;
    const trimmed = value.trim();
    if (trimmed === "") reject(column, `${column} is required, found an empty value`);
    return trimmed;
  }
  if (value === undefined || value === null) reject(column, `${column} is required, found ${value === null ? "null" : "nothing"}`);
  return reject(column, `${column} must be ${expected}, found ${showValue(value)}`);
}

/** True for a character `trim()` may remove: ASCII whitespace and every non-ASCII character (Unicode spaces, the BOM). */
function isTrimmable(code: number): boolean {
  return code <= 0x20 || code >= 0x7f;
}

// The converters take the column's index, not its name: a name looked up per call (a keyed load with
// 14 different keys) cost more than the conversion; the name is needed only to reject.
function text(values: readonly unknown[], index: number): string {
  const value = values[index];
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return presentText(value, TRANSACTION_COLUMNS[index], "text");
}

function decimal(values: readonly unknown[], index: number): number {
  const value = values[index];
  const column = TRANSACTION_COLUMNS[index];
  if (typeof value === "number") {
    if (!Number.isFinite(value)) reject(column, `${column} must be a finite number, found ${value}`);
    return value;
  }
  const written = presentText(value, column, "a number");
  const amount = decimalValue(written);
  if (Number.isNaN(amount)) {
    reject(column, `${column} must be a number written with '.' as the decimal point, found ${showValue(written)}`);
  }
  return amount;
}

/** A rupee amount of at least 0 with at most two decimals, as integer paise. */
function paise(values: readonly unknown[], index: number): Paise {
  const amount = decimal(values, index);
  const column = TRANSACTION_COLUMNS[index];
  if (amount < 0) reject(column, `${column} must be at least 0, found ${amount}`);
  const exact = paiseOfRupees(amount);
  if (exact === undefined) reject(column, `${column} must have at most two decimals (whole paise), found ${amount}`);
  return exact;
}

// Integers below 2^53 and powers of ten up to 1e22 are exact doubles, so for at most 15 digits one
// division gives the correctly rounded value, the same as Number() (Clinger's fast path).
const EXACT_DIGITS = 15;
const POWERS_OF_TEN = Array.from({ length: EXACT_DIGITS + 1 }, (_, n) => 10 ** n);

/**
 * The value of an optional sign, digits, optional `.` and digits (at least one digit), or NaN for
 * anything else. Stricter than Number() (no `1e3`, `0x10`, `Infinity`) and, the common case, faster.
 */
function decimalValue(written: string): number {
  // Every read is within the string: a read past its end (charCodeAt's NaN) made V8 call the builtin
  // for every character instead of loading it inline.
  const end = written.length;
  let at = 0;
  const sign = end === 0 ? 0 : written.charCodeAt(0);
  if (sign === 0x2b || sign === 0x2d) at++;
  let digits = 0;
  let fractionDigits = 0;
  let mantissa = 0;
  for (; at < end; at++) {
    const code = written.charCodeAt(at);
    if (!isDigit(code)) break;
    mantissa = mantissa * 10 + (code - 0x30);
    digits++;
  }
  if (at < end && written.charCodeAt(at) === 0x2e) {
    for (at++; at < end; at++) {
      const code = written.charCodeAt(at);
      if (!isDigit(code)) break;
      mantissa = mantissa * 10 + (code - 0x30);
      digits++;
      fractionDigits++;
    }
  }
  if (digits === 0 || at !== end) return NaN;
  if (digits > EXACT_DIGITS) return Number(written);
  const magnitude = mantissa / POWERS_OF_TEN[fractionDigits];
  return sign === 0x2d ? -magnitude : magnitude;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** Value of the `count` digits of `written` starting at `from`, or -1 if any is not a digit. */
function digitsAt(written: string, from: number, count: number): number {
  // No read past the end (see decimalValue).
  if (from + count > written.length) return -1;
  let result = 0;
  for (let at = from; at < from + count; at++) {
    const code = written.charCodeAt(at);
    if (!isDigit(code)) return -1;
    result = result * 10 + (code - 0x30);
  }
  return result;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The last date converted and its value: consecutive records of a file mostly share their date. */
const lastDate = { written: "", ms: 0 };

/** Midnight UTC of a `dd-mm-yyyy` date, in ms since the epoch. */
function purchaseDateMs(value: unknown): number {
  const written = presentText(value, "Purchase_Date", "a date dd-mm-yyyy");
  if (written === lastDate.written) return lastDate.ms;
  const day = digitsAt(written, 0, 2);
  const month = digitsAt(written, 3, 2);
  const year = digitsAt(written, 6, 4);
  if (written.length !== 10 || written[2] !== "-" || written[5] !== "-" || day < 0 || month < 0 || year < 0) {
    reject("Purchase_Date", `Purchase_Date must be a date dd-mm-yyyy, found ${showValue(written)}`);
  }
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  if (monthDays === undefined || day < 1 || day > monthDays) {
    reject("Purchase_Date", `Purchase_Date must be a real calendar date dd-mm-yyyy, found ${showValue(written)}`);
  }
  if (year < EARLIEST_YEAR || year > LATEST_YEAR) {
    reject("Purchase_Date", `Purchase_Date must be from 01-01-${EARLIEST_YEAR} to 31-12-${LATEST_YEAR}, found ${showValue(written)}`);
  }
  lastDate.ms = Date.UTC(year, month - 1, day);
  lastDate.written = written;
  return lastDate.ms;
}

/** Time of day of an `HH:MM:SS` time, in ms. */
function purchaseTimeMs(value: unknown): number {
  const written = presentText(value, "Purchase_Time", "a time HH:MM:SS");
  const hours = digitsAt(written, 0, 2);
  const minutes = digitsAt(written, 3, 2);
  const seconds = digitsAt(written, 6, 2);
  if (written.length !== 8 || written[2] !== ":" || written[5] !== ":" || hours < 0 || minutes < 0 || seconds < 0) {
    reject("Purchase_Time", `Purchase_Time must be a time HH:MM:SS, found ${showValue(written)}`);
  }
  if (hours > 23 || minutes > 59 || seconds > 59) {
    reject("Purchase_Time", `Purchase_Time must be a valid time of day 00:00:00 to 23:59:59, found ${showValue(written)}`);
  }
  return ((hours * 60 + minutes) * 60 + seconds) * MS_PER_SECOND;
}

function checkFinalPrice(pricePaise: Paise, discountPercent: number, finalPricePaise: Paise, written: unknown): void {
  const expectedPaise = pricePaise * (1 - discountPercent / 100);
  if (Math.abs(finalPricePaise - expectedPaise) > FINAL_PRICE_TOLERANCE_PAISE + FLOAT_SLACK) {
    reject(
      "Final_Price(Rs.)",
      `Final_Price(Rs.) must be Price (Rs.) × (1 − Discount (%)/100) = ${Number((expectedPaise / 100).toFixed(4))} ` +
        `within ${formatRupees(FINAL_PRICE_TOLERANCE_PAISE)}, found ${showValue(written)}`,
    );
  }
}

requireForSerialization("beam-ts-native/transforms/transaction_fields", exports);
