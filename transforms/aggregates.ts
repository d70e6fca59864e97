/**
 * Sales aggregates over transactions: seed 000's three (per product and distribution center, per
 * sales channel, per customer state) and revenue per category and per payment method.
 *
 * All are `groupBy(...).combining(...)` with Beam's own `sum` and `count` CombineFns, which the SDK
 * expands to a `combine_per_key` a runner can lift (partial sums before the shuffle). Revenue is
 * `revenueOf(t)`, final unit price × quantity in integer paise, so every sum is exact in any order
 * (`revenuePaise`; money.ts prints it as rupees).
 */
import * as beam from "apache-beam";
import { count, sum } from "apache-beam/transforms/combiners";
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

/** Per measure: what to take from a transaction (a field name or a function) and how to combine it. */
const MEASURES: Record<Measure, { of: string | ((t: Transaction) => number); combineFn: beam.CombineFn<any, any, number> }> = {
  revenuePaise: { of: revenueOf, combineFn: sum },
  quantity: { of: "quantity", combineFn: sum },
  count: { of: "transactionId", combineFn: count },
};

type TextField = "productId" | "distributionCenter" | "salesChannel" | "customerState" | "category" | "paymentMethod";

/** Groups transactions by `key` (one field, or several) and totals each measure per group. */
function totalsBy<Row>(
  name: string,
  key: TextField | TextField[],
  [firstMeasure, ...moreMeasures]: [Measure, ...Measure[]],
): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<Row>> {
  return beam.withName(name, (transactions: beam.PCollection<Transaction>): beam.PCollection<Row> => {
    const first = MEASURES[firstMeasure];
    let totals = beam.groupBy<Transaction, unknown>(key).combining(first.of, first.combineFn, firstMeasure);
    for (const measure of moreMeasures) {
      totals = totals.combining(MEASURES[measure].of, MEASURES[measure].combineFn, measure);
    }
    return transactions.apply(totals);
  });
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
