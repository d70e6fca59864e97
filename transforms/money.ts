/**
 * Money as this project keeps it: integer paise (1 rupee = 100 paise), never floating-point rupees.
 * Sums of integers below 2^53 are exact in a JavaScript number (up to ~90 trillion rupees), so every
 * total is exact whatever the order of addition; rupees appear only when printed, with two decimals.
 */
import { requireForSerialization } from "apache-beam/serialization";
import { TWO_DIGITS, wholeNumberText } from "./decimal_text";

/** An amount in paise: a whole number. */
export type Paise = number;

const PAISE_PER_RUPEE = 100;

/**
 * The paise of a rupee amount that has at most two decimals (`12.5` → 1250), or undefined when it
 * has more (`12.345`): a price in the data is exact to the paisa, and a third decimal is not money.
 */
export function paiseOfRupees(rupees: number): Paise | undefined {
  const scaled = rupees * PAISE_PER_RUPEE;
  const paise = Math.round(scaled);
  // A two-decimal amount is not exact in binary; ×100 lands within a few ulps of the whole number.
  return Math.abs(scaled - paise) <= 1e-6 + Math.abs(scaled) * 1e-12 ? paise : undefined;
}

/** `paise` as rupees with two decimals and no grouping, e.g. 391682850 → "3916828.50", -5 → "-0.05". */
export function formatRupees(paise: Paise): string {
  const sign = paise < 0 ? "-" : "";
  const magnitude = Math.abs(paise);
  const cents = magnitude % PAISE_PER_RUPEE;
  // Looked up for whole paise (every row's prices are formatted so); anything else padded as it is.
  return `${sign}${wholeNumberText(Math.floor(magnitude / PAISE_PER_RUPEE))}.${TWO_DIGITS[cents] ?? String(cents).padStart(2, "0")}`;
}

/** `paise` as rupees with two decimals and thousands separators, for people: "3,916,828.50". */
export function formatRupeesGrouped(paise: Paise): string {
  const [whole, fraction] = formatRupees(paise).split(".");
  return `${whole.replace(/\B(?=(\d{3})+$)/g, ",")}.${fraction}`;
}

requireForSerialization("beam-ts-native/transforms/money", exports);
