import type { Paise } from "./money";

/**
 * The one typed record every pipeline in this project works on: an e-commerce purchase.
 *
 * Seed 004's dataset (the Kaggle e-commerce set) gives the first eight columns; seed 000's report
 * needs the rest (a transaction id, quantity, sales channel, customer state, distribution center).
 * CSV files, JSON lines and Pub/Sub payloads all carry the same field names, listed in
 * {@link TRANSACTION_COLUMNS}, so a single parser serves all three.
 */
import type { FraudLabels } from "./fraud_labels";
import { requireForSerialization } from "apache-beam/serialization";

export interface Transaction {
  /** Unique per purchase; the second half of the Bigtable row key. */
  transactionId: string;
  userId: string;
  productId: string;
  category: string;
  /** `Price (Rs.)`: list price of one unit, in paise (an integer: money is exact). */
  pricePaise: Paise;
  /** `Discount (%)`: 0 to 100 inclusive. */
  discountPercent: number;
  /** `Final_Price(Rs.)`: price of one unit after the discount, in paise. */
  finalPricePaise: Paise;
  paymentMethod: string;
  /** Number of units bought (at least 1). */
  quantity: number;
  salesChannel: string;
  customerState: string;
  distributionCenter: string;
  /** Event time of the purchase, milliseconds since the Unix epoch (UTC), from `Purchase_Date` + `Purchase_Time`. */
  eventTimeMs: number;
  /** The gateway's id of the event that brought it (its `event_id` attribute); absent for files and the plain publisher. */
  eventId?: string;
  /** Present when the input labels fraud (the generator's Parquet files): see `fraud_labels.ts`. */
  fraud?: FraudLabels;
}

/** Column names in file order: CSV header, JSON-lines keys and Pub/Sub payload keys alike. */
export const TRANSACTION_COLUMNS = [
  "Transaction_ID",
  "User_ID",
  "Product_ID",
  "Category",
  "Price (Rs.)",
  "Discount (%)",
  "Final_Price(Rs.)",
  "Payment_Method",
  "Purchase_Date",
  "Purchase_Time",
  "Quantity",
  "Sales_Channel",
  "Customer_State",
  "Distribution_Center",
] as const;

/** One of {@link TRANSACTION_COLUMNS}. */
export type TransactionColumn = (typeof TRANSACTION_COLUMNS)[number];

/** Revenue of one purchase in paise: final unit price times quantity (an integer, exact). */
export function revenueOf(t: Transaction): Paise {
  return t.finalPricePaise * t.quantity;
}

requireForSerialization("beam-ts-native/transforms/transaction", exports);
