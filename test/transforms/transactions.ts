/** Test data for the transform tests: one valid record in every form, and generated transactions. */
import { TRANSACTION_COLUMNS, type Transaction, type TransactionColumn } from "../../transforms/transaction";

/** A valid record, column by column, as a CSV file would hold it. */
export const VALID_FIELDS: Readonly<Record<TransactionColumn, string>> = {
  Transaction_ID: "T000000000001",
  User_ID: "005258a0",
  Product_ID: "8235030767923",
  Category: "Books",
  "Price (Rs.)": "100.00",
  "Discount (%)": "10",
  "Final_Price(Rs.)": "90.00",
  Payment_Method: "UPI",
  Purchase_Date: "15-03-2024",
  Purchase_Time: "10:20:30",
  Quantity: "2",
  Sales_Channel: "Web",
  Customer_State: "Delhi",
  Distribution_Center: "DC-Delhi",
};

/** The transaction {@link VALID_FIELDS} stands for. */
export const VALID_TRANSACTION: Transaction = {
  transactionId: "T000000000001",
  userId: "005258a0",
  productId: "8235030767923",
  category: "Books",
  price: 100,
  discountPercent: 10,
  finalPrice: 90,
  paymentMethod: "UPI",
  quantity: 2,
  salesChannel: "Web",
  customerState: "Delhi",
  distributionCenter: "DC-Delhi",
  eventTimeMs: Date.UTC(2024, 2, 15, 10, 20, 30),
};

/** A CSV line of the valid record with some values replaced (quoted only where RFC 4180 needs it). */
export function csvLineWith(changes: Partial<Record<TransactionColumn, string>> = {}): string {
  return TRANSACTION_COLUMNS.map((column) => {
    const value = changes[column] ?? VALID_FIELDS[column];
    return /[",]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
  }).join(",");
}

/** A JSON line of the valid record with some values replaced (`undefined` removes the key). */
export function jsonLineWith(changes: Partial<Record<TransactionColumn, unknown>> = {}): string {
  const record: Record<string, unknown> = { ...VALID_FIELDS, ...changes };
  return JSON.stringify(record);
}

/**
 * `count` valid, distinct transactions: few users (so each has many), bought in pairs (the same
 * user in the same millisecond, told apart by the transaction id only), a handful of categories,
 * channels and states.
 */
export function generatedTransactions(count: number): Transaction[] {
  const categories = ["Books", "Electronics", "Home & Kitchen", "Toys"];
  const channels = ["Web", "Mobile App", "Store", "Marketplace", "Call Center", "Kiosk"];
  const states = ["Delhi", "Gujarat", "Kerala", "Punjab", "Tamil Nadu", "Goa", "Bihar"];
  const payments = ["UPI", "Credit Card", "Cash on Delivery"];
  return Array.from({ length: count }, (_, i): Transaction => {
    const price = 50 + ((i * 37) % 1000) + 0.25;
    const discountPercent = (i * 7) % 50;
    return {
      transactionId: `T${String(i).padStart(12, "0")}`,
      userId: `u${Math.floor(i / 2) % 997}`,
      productId: `P${i % 50}`,
      category: categories[i % categories.length],
      price,
      discountPercent,
      finalPrice: price * (1 - discountPercent / 100),
      paymentMethod: payments[i % payments.length],
      quantity: 1 + (i % 5),
      salesChannel: channels[(i * 3) % channels.length],
      customerState: states[(i * 5) % states.length],
      distributionCenter: `DC-${i % 3}`,
      eventTimeMs: Date.UTC(2024, 0, 1) + Math.floor(i / 2) * 1000,
    };
  });
}

/** A transaction of `category` at event time `at` (ms) with a revenue of `revenue` (one unit, no discount). */
export function purchase(id: number, category: string, revenue: number, at: number): Transaction {
  const t = generatedTransactions(1)[0];
  return { ...t, transactionId: `T${id}`, category, finalPrice: revenue, price: revenue, discountPercent: 0, quantity: 1, eventTimeMs: at };
}

/** `t` as a TestStream element stamped with its event time. */
export const arriving = (t: Transaction) => ({ value: t, timestamp: t.eventTimeMs });
