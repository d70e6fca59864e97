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
import { SummaryTotalsCoder } from "./summary_totals_coder";

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

/**
 * Every aggregate's totals while summing: per key, the totals of its measures in the order of
 * {@link AGGREGATES}. The pair aggregate is keyed product → center, not by a joined key, so adding a
 * transaction builds no string (see {@link PairTotals}).
 */
export interface SummaryTotals {
  salesByProductAndCenter: PairTotals;
  revenueByChannel: Map<string, [revenuePaise: Paise]>;
  quantityByState: Map<string, [quantity: number]>;
  revenueByCategory: Map<string, [revenuePaise: Paise, count: number]>;
  revenueByPaymentMethod: Map<string, [revenuePaise: Paise, count: number]>;
}

/**
 * The pair aggregate's totals. Centers are numbered once per summary, and each product's pairs are
 * one flat array of numbers, in order of first sale: adding a transaction looks up the product, the
 * center's number in one small map, then scans the product's few triples. A map of centers per
 * product instead (thousands of small maps, each pair's totals an array of their own) was a chain of
 * objects scattered over the heap for every transaction, and cost several times the four other
 * aggregates together.
 */
interface PairTotals {
  /** Center → its number, the index of its name in `names`. */
  centers: Map<string, number>;
  names: string[];
  products: Map<string, ProductPairs>;
}

/** One product's pairs, {@link PAIR_FIELDS} numbers each: the center's number, revenue (paise), quantity. */
type ProductPairs = number[];
const PAIR_FIELDS = 3;

/**
 * The entry of `key` in `map`, made (empty totals) on first use. The key is stored as a copy of its
 * own: a field parsed out of a line is a slice of the chunk the line was read from (V8 shares the
 * text of a substring of 13 characters or more), and a key kept as it is would keep that whole
 * chunk — a megabyte per distinct key.
 */
function totalsOf<Entry>(map: Map<string, Entry>, key: string, make: () => Entry): Entry {
  let found = map.get(key);
  if (found === undefined) map.set(ownCopy(key), (found = make()));
  return found;
}

/** `text` in a string of its own, sharing no other string's memory (see {@link totalsOf}). */
function ownCopy(text: string): string {
  // Joining makes a new string, flattened into fresh memory when sliced; every code unit kept.
  return (" " + text).slice(1);
}

const zero1 = (): [number] => [0];
const zero2 = (): [number, number] => [0, 0];
const newProductPairs = (): ProductPairs => [];

/** The number of `center` in `pairs`, given on first use. */
function centerNumber(pairs: PairTotals, center: string): number {
  let found = pairs.centers.get(center);
  if (found === undefined) {
    found = pairs.names.length;
    const name = ownCopy(center);
    pairs.names.push(name);
    pairs.centers.set(name, found);
  }
  return found;
}

/** Adds revenue and quantity to the pair of `product` and center number `center`, made on first use. */
function addToPair(product: ProductPairs, center: number, revenue: Paise, quantity: number): void {
  for (let at = 0; at < product.length; at += PAIR_FIELDS) {
    if (product[at] === center) {
      product[at + 1] += revenue;
      product[at + 2] += quantity;
      return;
    }
  }
  product.push(center, revenue, quantity);
}

/**
 * Adds `t` to each aggregate's totals. Written out per aggregate rather than driven by
 * {@link AGGREGATES}: this runs for every transaction of a batch, and the generic loop (a joined key,
 * fields and measures looked up by name) cost twice as much. The test of `salesSummary` checks it
 * against each aggregate's own transform.
 */
export function addToSummary(summary: SummaryTotals, t: Transaction): SummaryTotals {
  const revenue = revenueOf(t);
  const pairs = summary.salesByProductAndCenter;
  addToPair(totalsOf(pairs.products, t.productId, newProductPairs), centerNumber(pairs, t.distributionCenter), revenue, t.quantity);
  totalsOf(summary.revenueByChannel, t.salesChannel, zero1)[0] += revenue;
  totalsOf(summary.quantityByState, t.customerState, zero1)[0] += t.quantity;
  const category = totalsOf(summary.revenueByCategory, t.category, zero2);
  category[0] += revenue;
  category[1]++;
  const payment = totalsOf(summary.revenueByPaymentMethod, t.paymentMethod, zero2);
  payment[0] += revenue;
  payment[1]++;
  return summary;
}

/** Empty totals for every aggregate. */
export function emptySummary(): SummaryTotals {
  return {
    salesByProductAndCenter: { centers: new Map(), names: [], products: new Map() },
    revenueByChannel: new Map(),
    quantityByState: new Map(),
    revenueByCategory: new Map(),
    revenueByPaymentMethod: new Map(),
  };
}

/** Adds the totals of `from` into `into`, key by key. */
function mergeTotals(into: Map<string, number[]>, from: Map<string, number[]>): void {
  for (const [key, totals] of from) {
    const mine = into.get(key);
    if (mine === undefined) into.set(key, [...totals]);
    else for (let i = 0; i < totals.length; i++) mine[i] += totals[i];
  }
}

/** Adds every totals of `from` into `into`. */
export function mergeSummaries(into: SummaryTotals, from: SummaryTotals): SummaryTotals {
  const pairs = into.salesByProductAndCenter;
  const { names } = from.salesByProductAndCenter;
  for (const [productId, product] of from.salesByProductAndCenter.products) {
    const mine = totalsOf(pairs.products, productId, newProductPairs);
    for (let at = 0; at < product.length; at += PAIR_FIELDS) {
      addToPair(mine, centerNumber(pairs, names[product[at]]), product[at + 1], product[at + 2]);
    }
  }
  mergeTotals(into.revenueByChannel, from.revenueByChannel);
  mergeTotals(into.quantityByState, from.quantityByState);
  mergeTotals(into.revenueByCategory, from.revenueByCategory);
  mergeTotals(into.revenueByPaymentMethod, from.revenueByPaymentMethod);
  return into;
}

/** The rows of every aggregate. */
export function summaryRows(summary: SummaryTotals): SalesSummary {
  const rows = <Row>(name: AggregateName, totals: Map<string, number[]>) => [...totals].map(([key, sums]) => totalsRow<Row>(AGGREGATES[name], key, sums));
  const pairs: ProductCenterSales[] = [];
  const { names, products } = summary.salesByProductAndCenter;
  for (const [productId, product] of products) {
    for (let at = 0; at < product.length; at += PAIR_FIELDS) {
      pairs.push({ productId, distributionCenter: names[product[at]], revenuePaise: product[at + 1], quantity: product[at + 2] });
    }
  }
  return {
    salesByProductAndCenter: pairs,
    revenueByChannel: rows("revenueByChannel", summary.revenueByChannel),
    quantityByState: rows("quantityByState", summary.quantityByState),
    revenueByCategory: rows("revenueByCategory", summary.revenueByCategory),
    revenueByPaymentMethod: rows("revenueByPaymentMethod", summary.revenueByPaymentMethod),
  };
}

/**
 * All five aggregates in one pass over the transactions: one global combine whose accumulator holds,
 * per aggregate, the totals per key — memory in distinct keys, each transaction looked at once
 * instead of crossing five groupings. What the batch ETL uses; the separate transforms above stay
 * for windowed and single uses. One element out (none for an empty input). A `combine_per_key` on
 * one constant key, not `groupGlobally().combining`, which wraps every input in arrays of its own.
 */
export function salesSummary(): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<SalesSummary>> {
  const summaryFn = summaryCombineFn();
  return beam.withName("salesSummary", (transactions: beam.PCollection<Transaction>) =>
    transactions
      .map(beam.withName("keyed", (t: Transaction) => ({ key: "", value: t })))
      .apply(combinePerKey(summaryFn))
      .map(beam.withName("summary", (kv: { key: string; value: SalesSummary }) => kv.value)),
  );
}

/** {@link salesSummary}'s CombineFn: every aggregate's totals in one accumulator. */
export function summaryCombineFn(): beam.CombineFn<Transaction, SummaryTotals, SalesSummary> {
  return {
    createAccumulator: () => emptySummary(),
    addInput: (summary: SummaryTotals, t: Transaction) => addToSummary(summary, t),
    mergeAccumulators: (summaries: Iterable<SummaryTotals>) => {
      let merged = emptySummary();
      for (const summary of summaries) merged = mergeSummaries(merged, summary);
      return merged;
    },
    extractOutput: (summary: SummaryTotals) => summaryRows(summary),
    // Partial accumulators cross threads and processes: the SDK's default coder would lose the Maps.
    accumulatorCoder: () => new SummaryTotalsCoder(),
  };
}

requireForSerialization("beam-ts-native/transforms/aggregates", exports);
