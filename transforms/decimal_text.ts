/**
 * Whole numbers as decimal text, exactly as `String(n)` writes them, without V8's number-to-text for
 * the common case. V8 keeps a small cache of the texts of numbers; the batch ETL formats millions of
 * distinct ones (rupee amounts, event times, their reverse for row keys), so nearly every conversion
 * missed it and called into the runtime — and one above 2^31 is a double to V8, converted as one.
 * Here a safe whole number is written from tables of three digits.
 */
import { requireForSerialization } from "apache-beam/serialization";

/** "0" … "999", and the same zero-padded to three digits; "00" … "99". */
const UP_TO_999 = Array.from({ length: 1000 }, (_, n) => String(n));
export const THREE_DIGITS = UP_TO_999.map((text) => text.padStart(3, "0"));
export const TWO_DIGITS = UP_TO_999.slice(0, 100).map((text) => text.padStart(2, "0"));

const THOUSAND = 1000;
const MILLION = 1_000_000;
const BILLION = 1_000_000_000;

/** `n` in decimal, as `String(n)` gives it, for any number; fast for whole numbers from 0 to 2^53. */
export function wholeNumberText(n: number): string {
  if (!(n >= 0 && Number.isSafeInteger(n))) return String(n);
  if (n < BILLION) return belowBillion(n);
  const high = Math.floor(n / BILLION);
  return belowBillion(high) + nineDigits(n - high * BILLION);
}

/** A whole number below 10^9, unpadded. */
function belowBillion(n: number): string {
  if (n < THOUSAND) return UP_TO_999[n];
  if (n < MILLION) {
    const thousands = Math.floor(n / THOUSAND);
    return UP_TO_999[thousands] + THREE_DIGITS[n - thousands * THOUSAND];
  }
  const millions = Math.floor(n / MILLION);
  return UP_TO_999[millions] + sixDigits(n - millions * MILLION);
}

/** A whole number below 10^9, zero-padded to nine digits. */
function nineDigits(n: number): string {
  const millions = Math.floor(n / MILLION);
  return THREE_DIGITS[millions] + sixDigits(n - millions * MILLION);
}

/** A whole number below 10^6, zero-padded to six digits. */
function sixDigits(n: number): string {
  const thousands = Math.floor(n / THOUSAND);
  return THREE_DIGITS[thousands] + THREE_DIGITS[n - thousands * THOUSAND];
}

requireForSerialization("beam-ts-native/transforms/decimal_text", exports);
