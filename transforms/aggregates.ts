/**
 * Sales aggregates over transactions: seed 000's three (per product and distribution center, per
 * sales channel, per customer state) and revenue per category and per payment method.
 *
 * Each is a `combine_per_key` (a runner lifts it: partial totals per bundle before the shuffle) of
 * one small CombineFn that totals every measure at once, keyed by a string (see `keyOf`). Revenue is
 * `revenueOf(t)`, final unit price × quantity in integer paise, so every sum is exact in any order
 * (`revenuePaise`; money.ts prints it as rupees).
 */
import * as beam from "apache-beam";
import { combinePerKey } from "apache-beam/transforms/internal";
import { revenueOf, type Transaction } from "./transaction";
import type { Paise } from "./money";
import { requireForSerialization } from "apache-beam/serialization";

/** Seed 000's first aggregate: value and units sold per product and distribution center. */
export type ProductCenterSales = { productId: string; distributionCenter: string; revenuePaise: Paise; quantity: number };
/** Revenue per sales channel. */
export type ChannelRevenue = { salesChannel: string; revenuePaise: Paise };
/** Units sold per customer state. */
export type StateQuantity = { customerState: string; quantity: number };
/** Revenue and number of transactions per category. */
export type CategoryRevenue = { category: string; revenuePaise: Paise; count: number };
/** Revenue and number of transactions per payment method. */
export type PaymentMethodRevenue = { paymentMethod: string; revenuePaise: Paise; count: number };

/** What can be totalled per key; each becomes the output field of the same name. */
type Measure = "revenuePaise" | "quantity" | "count";

type TextField = "productId" | "distributionCenter" | "salesChannel" | "customerState" | "category" | "paymentMethod";

/** One measure of one transaction (exact: paise and units are integers). */
export function measureOf(measure: Measure, t: Transaction): number {
  return measure === "revenuePaise" ? revenueOf(t) : measure === "quantity" ? t.quantity : 1;
}

/**
 * The grouping key of `t`: the field itself, or for several fields each prefixed by its length
 * (`7:DC-Pune3:P12` cannot be split two ways). A string key is compared as it is by the runner;
 * an object or array key would be encoded with a coder for every element, five times slower.
 */
export function keyOf(fields: readonly TextField[], t: Transaction): string {
  if (fields.length === 1) return t[fields[0]];
  let key = "";
  for (const field of fields) key += `${t[field].length}:${t[field]}`;
  return key;
}

/** The field values a {@link keyOf} key was made of. */
export function fieldsOfKey(fields: readonly TextField[], key: string): string[] {
  if (fields.length === 1) return [key];
  const values: string[] = [];
  for (let at = 0; values.length < fields.length; ) {
    const colon = key.indexOf(":", at);
    const length = Number(key.slice(at, colon));
    values.push(key.slice(colon + 1, colon + 1 + length));
    at = colon + 1 + length;
  }
  return values;
}

/** Totals of `measures` per key, one number each; a liftable CombineFn (partial totals per bundle). */
export function totalsFn(measures: readonly Measure[]): beam.CombineFn<Transaction, number[], number[]> {
  return {
    createAccumulator: () => new Array(measures.length).fill(0),
    addInput: (totals: number[], t: Transaction) => {
      for (let i = 0; i < measures.length; i++) totals[i] += measureOf(measures[i], t);
      return totals;
    },
    mergeAccumulators: (all: Iterable<number[]>) => {
      const merged: number[] = new Array(measures.length).fill(0);
      for (const totals of all) for (let i = 0; i < measures.length; i++) merged[i] += totals[i];
      return merged;
    },
    extractOutput: (totals: number[]) => totals,
  };
}

/** Groups transactions by `key` (one field, or several) and totals each measure per group. */
function totalsBy<Row>(
  name: string,
  key: TextField | TextField[],
  measures: [Measure, ...Measure[]],
): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<Row>> {
  const fields: TextField[] = typeof key === "string" ? [key] : key;
  return beam.withName(name, (transactions: beam.PCollection<Transaction>): beam.PCollection<Row> =>
    transactions
      .map(beam.withName("keyed", (t: Transaction) => ({ key: keyOf(fields, t), value: t })))
      .apply(combinePerKey(totalsFn(measures)))
      .map(
        beam.withName("row", (kv: { key: string; value: number[] }) => {
          const row: Record<string, string | number> = {};
          const values = fieldsOfKey(fields, kv.key);
          for (let i = 0; i < fields.length; i++) row[fields[i]] = values[i];
          for (let i = 0; i < measures.length; i++) row[measures[i]] = kv.value[i];
          return row as Row;
        }),
      ),
  );
}

/** Revenue (seed 000's "total value") and quantity per product and distribution center. */
export function salesByProductAndCenter(): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<ProductCenterSales>> {
  return totalsBy("salesByProductAndCenter", ["productId", "distributionCenter"], ["revenuePaise", "quantity"]);
}

/** Revenue per sales channel. */
export function revenueByChannel(): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<ChannelRevenue>> {
  return totalsBy("revenueByChannel", "salesChannel", ["revenuePaise"]);
}

/** Units sold per customer state. */
export function quantityByState(): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<StateQuantity>> {
  return totalsBy("quantityByState", "customerState", ["quantity"]);
}

/** Revenue and transaction count per category. */
export function revenueByCategory(): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<CategoryRevenue>> {
  return totalsBy("revenueByCategory", "category", ["revenuePaise", "count"]);
}

/** Revenue and transaction count per payment method. */
export function revenueByPaymentMethod(): beam.PTransform<
  beam.PCollection<Transaction>,
  beam.PCollection<PaymentMethodRevenue>
> {
  return totalsBy("revenueByPaymentMethod", "paymentMethod", ["revenuePaise", "count"]);
}

requireForSerialization("beam-ts-native/transforms/aggregates", exports);
