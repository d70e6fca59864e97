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

/** What one aggregate groups by and totals. */
interface AggregateSpec {
  fields: readonly TextField[];
  measures: readonly Measure[];
}

/** Every aggregate of this module: what the transforms below and {@link salesSummary} compute. */
export const AGGREGATES = {
  salesByProductAndCenter: { fields: ["productId", "distributionCenter"], measures: ["revenuePaise", "quantity"] },
  revenueByChannel: { fields: ["salesChannel"], measures: ["revenuePaise"] },
  quantityByState: { fields: ["customerState"], measures: ["quantity"] },
  revenueByCategory: { fields: ["category"], measures: ["revenuePaise", "count"] },
  revenueByPaymentMethod: { fields: ["paymentMethod"], measures: ["revenuePaise", "count"] },
} as const satisfies Record<string, AggregateSpec>;

/** One of {@link AGGREGATES}. */
export type AggregateName = keyof typeof AGGREGATES;

/** The output row of a key's totals: the key's fields, then each measure. */
export function totalsRow<Row>(spec: AggregateSpec, key: string, totals: readonly number[]): Row {
  const row: Record<string, string | number> = {};
  const values = fieldsOfKey(spec.fields, key);
  for (let i = 0; i < spec.fields.length; i++) row[spec.fields[i]] = values[i];
  for (let i = 0; i < spec.measures.length; i++) row[spec.measures[i]] = totals[i];
  return row as Row;
}

/** Groups transactions by the aggregate's key and totals each of its measures per group. */
function totalsBy<Row>(name: AggregateName): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<Row>> {
  const spec: AggregateSpec = AGGREGATES[name];
  return beam.withName(name, (transactions: beam.PCollection<Transaction>): beam.PCollection<Row> =>
    transactions
      .map(beam.withName("keyed", (t: Transaction) => ({ key: keyOf(spec.fields, t), value: t })))
      .apply(combinePerKey(totalsFn(spec.measures)))
      .map(beam.withName("row", (kv: { key: string; value: number[] }) => totalsRow<Row>(spec, kv.key, kv.value))),
  );
}

/** Revenue (seed 000's "total value") and quantity per product and distribution center. */
export function salesByProductAndCenter(): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<ProductCenterSales>> {
  return totalsBy("salesByProductAndCenter");
}

/** Revenue per sales channel. */
export function revenueByChannel(): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<ChannelRevenue>> {
  return totalsBy("revenueByChannel");
}

/** Units sold per customer state. */
export function quantityByState(): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<StateQuantity>> {
  return totalsBy("quantityByState");
}

/** Revenue and transaction count per category. */
export function revenueByCategory(): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<CategoryRevenue>> {
  return totalsBy("revenueByCategory");
}

/** Revenue and transaction count per payment method. */
export function revenueByPaymentMethod(): beam.PTransform<
  beam.PCollection<Transaction>,
  beam.PCollection<PaymentMethodRevenue>
> {
  return totalsBy("revenueByPaymentMethod");
}

/** Every aggregate's rows, computed in one pass. */
export interface SalesSummary {
  salesByProductAndCenter: ProductCenterSales[];
  revenueByChannel: ChannelRevenue[];
  quantityByState: StateQuantity[];
  revenueByCategory: CategoryRevenue[];
  revenueByPaymentMethod: PaymentMethodRevenue[];
}

/** Per aggregate, key → totals. */
type SummaryTotals = Record<AggregateName, Map<string, number[]>>;

const AGGREGATE_NAMES = Object.keys(AGGREGATES) as AggregateName[];

/** Adds `t` to each aggregate's totals. */
export function addToSummary(summary: SummaryTotals, t: Transaction): SummaryTotals {
  for (const name of AGGREGATE_NAMES) {
    const spec: AggregateSpec = AGGREGATES[name];
    const key = keyOf(spec.fields, t);
    let totals = summary[name].get(key);
    if (totals === undefined) summary[name].set(key, (totals = new Array(spec.measures.length).fill(0)));
    for (let i = 0; i < spec.measures.length; i++) totals[i] += measureOf(spec.measures[i], t);
  }
  return summary;
}

/** Empty totals for every aggregate. */
export function emptySummary(): SummaryTotals {
  return Object.fromEntries(AGGREGATE_NAMES.map((name) => [name, new Map()])) as SummaryTotals;
}

/** Adds every totals of `from` into `into`. */
export function mergeSummaries(into: SummaryTotals, from: SummaryTotals): SummaryTotals {
  for (const name of AGGREGATE_NAMES) {
    for (const [key, totals] of from[name]) {
      const mine = into[name].get(key);
      if (mine === undefined) into[name].set(key, [...totals]);
      else for (let i = 0; i < totals.length; i++) mine[i] += totals[i];
    }
  }
  return into;
}

/** The rows of every aggregate. */
export function summaryRows(summary: SummaryTotals): SalesSummary {
  const rows = (name: AggregateName) => [...summary[name]].map(([key, totals]) => totalsRow(AGGREGATES[name], key, totals));
  return Object.fromEntries(AGGREGATE_NAMES.map((name) => [name, rows(name)])) as unknown as SalesSummary;
}

/**
 * All five aggregates in one pass over the transactions: one global combine whose accumulator holds,
 * per aggregate, the totals per key — memory in distinct keys, each transaction looked at once
 * instead of crossing five groupings. What the batch ETL uses; the separate transforms above stay
 * for windowed and single uses. One element out (none for an empty input).
 */
export function salesSummary(): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<SalesSummary>> {
  const summaryFn: beam.CombineFn<Transaction, SummaryTotals, SalesSummary> = {
    createAccumulator: () => emptySummary(),
    addInput: (summary: SummaryTotals, t: Transaction) => addToSummary(summary, t),
    mergeAccumulators: (summaries: Iterable<SummaryTotals>) => {
      let merged = emptySummary();
      for (const summary of summaries) merged = mergeSummaries(merged, summary);
      return merged;
    },
    extractOutput: (summary: SummaryTotals) => summaryRows(summary),
  };
  return beam.withName("salesSummary", (transactions: beam.PCollection<Transaction>) =>
    transactions
      .apply(beam.groupGlobally<Transaction>().combining((t: Transaction) => t, summaryFn, "summary"))
      .map(beam.withName("summary", (result: { summary: SalesSummary }) => result.summary)),
  );
}

requireForSerialization("beam-ts-native/transforms/aggregates", exports);
