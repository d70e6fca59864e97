/**
 * The three tables the generator writes, column by column: fraud-labelled transactions, and the
 * customers and devices they refer to. Parquet, CSV and JSON lines carry the same columns in the
 * same order; money is in whole paise (integers), times are UTC.
 */
import { CATEGORIES, DISTRIBUTION_CENTERS, PAYMENT_METHODS, SALES_CHANNELS } from "../../fixtures/vocabulary";
import type { ColumnSpec } from "./columns";
import { FRAUD_PATTERNS } from "./fraud_episodes";
import { PLACES } from "./geography";
import { DEVICE_TYPES, MERCHANTS } from "./world";

/** The tables, by the name their files start with. */
export type TableName = "transactions" | "customers" | "devices";

/** The currencies of the `currency` column (the shop sells in India). */
export const CURRENCIES = ["INR"] as const;

const STATES = PLACES.map((place) => place.state);

/** Columns of `transactions-*.parquet`. */
export const TRANSACTION_SPECS: readonly ColumnSpec[] = [
  { name: "transaction_id", kind: "text", doc: "`T` + 12 digits, unique within a run" },
  { name: "customer_id", kind: "text", doc: "`C` + 9 digits: the card holder (customers table)" },
  { name: "device_id", kind: "text", doc: "`D` + 9 digits: the device paid from (devices table)" },
  { name: "merchant_id", kind: "text", distinctValues: MERCHANTS, doc: "`M` + 6 digits: who was paid; one category per merchant" },
  { name: "product_id", kind: "text", doc: "`P` + 8 digits: what was bought" },
  { name: "category", kind: "category", values: CATEGORIES, doc: "the merchant's category" },
  { name: "unit_price_paise", kind: "int64", doc: "list price of one unit" },
  { name: "discount_percent", kind: "int32", doc: "0–40" },
  { name: "quantity", kind: "int32", doc: "1–5" },
  { name: "amount_paise", kind: "int64", doc: "paid: unit price after discount (rounded half up to the paisa) × quantity" },
  { name: "currency", kind: "category", values: CURRENCIES, skewed: true, doc: "ISO 4217 code of the amounts" },
  { name: "payment_method", kind: "category", values: PAYMENT_METHODS.map((choice) => choice[0]), doc: "how it was paid" },
  { name: "channel", kind: "category", values: SALES_CHANNELS.map((choice) => choice[0]), doc: "where it was paid" },
  { name: "state", kind: "category", values: STATES, doc: "where the device was: an Indian state" },
  { name: "latitude", kind: "float64", doc: "where the device was, degrees (near the state's largest city)" },
  { name: "longitude", kind: "float64", doc: "where the device was, degrees" },
  { name: "distribution_center", kind: "category", values: DISTRIBUTION_CENTERS, doc: "who ships it: the state's own centre, another for 15%" },
  { name: "event_time", kind: "timestampMs", doc: "when, UTC, millisecond precision" },
  { name: "is_fraud", kind: "bool", doc: "the label" },
  { name: "fraud_pattern", kind: "category", values: FRAUD_PATTERNS, skewed: true, doc: "which episode made it fraud (`none` when legitimate)" },
];

/** Columns of `customers-*.parquet`. */
export const CUSTOMER_SPECS: readonly ColumnSpec[] = [
  { name: "customer_id", kind: "text", doc: "`C` + 9 digits" },
  { name: "home_state", kind: "category", values: STATES, doc: "where they live and usually pay" },
  { name: "home_latitude", kind: "float64", doc: "degrees" },
  { name: "home_longitude", kind: "float64", doc: "degrees" },
  { name: "typical_amount_paise", kind: "int64", doc: "habitual spend per transaction: ₹200–₹12,800" },
  { name: "preferred_channel", kind: "category", values: SALES_CHANNELS.map((choice) => choice[0]), doc: "the channel of 60% of their purchases" },
  { name: "device_count", kind: "int32", doc: "devices they own" },
];

/** Columns of `devices-*.parquet`. */
export const DEVICE_SPECS: readonly ColumnSpec[] = [
  { name: "device_id", kind: "text", doc: "`D` + 9 digits" },
  { name: "customer_id", kind: "text", doc: "the owner" },
  { name: "device_type", kind: "category", values: DEVICE_TYPES.map((choice) => choice[0]), doc: "Android, iOS or Web browser" },
];

/** Each table's columns. */
export const TABLE_SPECS: Readonly<Record<TableName, readonly ColumnSpec[]>> = {
  transactions: TRANSACTION_SPECS,
  customers: CUSTOMER_SPECS,
  devices: DEVICE_SPECS,
};
