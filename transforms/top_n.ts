/**
 * The N largest rows of a PCollection of aggregate rows, as one ranked array: seed 000's report
 * ("top-5 channels by revenue", "top-5 states by quantity") and any other leaderboard.
 *
 * A global combine: each worker keeps only its N best before the shuffle, so the cost does not grow
 * with the input. Ties on the measure are broken by the key fields, ascending, so the ranking is
 * the same however the input was split into bundles. An empty input gives no output at all (Beam's
 * global grouping emits nothing for nothing).
 */
import * as beam from "apache-beam";
import type { ChannelRevenue, StateQuantity } from "./aggregates";
import { requireForSerialization } from "apache-beam/serialization";

type Indexed = Record<string, any>;

/** Fields of `Row` holding numbers: what rows can be ranked by. */
export type NumericField<Row> = { [F in keyof Row]: Row[F] extends number ? F : never }[keyof Row] & string;

/** Fields of `Row` holding strings: what breaks ties. */
export type KeyField<Row> = { [F in keyof Row]: Row[F] extends string ? F : never }[keyof Row] & string;

/**
 * The `n` rows with the largest `measure`, largest first, ties broken by the `key` field(s) ascending
 * (plain code unit order, independent of locale). Output: a single array of at most `n` rows.
 */
export function topN<Row>(
  n: number,
  measure: NumericField<Row>,
  key: KeyField<Row> | KeyField<Row>[],
): beam.PTransform<beam.PCollection<Row>, beam.PCollection<Row[]>> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`topN needs a whole number of rows of at least 1, got ${n}`);
  const keys: string[] = typeof key === "string" ? [key] : key;
  const ranksBefore = (a: Indexed, b: Indexed): number => {
    if (a[measure] !== b[measure]) return b[measure] - a[measure];
    for (const k of keys) {
      if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
    }
    return 0;
  };
  // Accumulators are arrays of at most n rows, in rank order; Beam lets addInput update them in place.
  const best = (rows: Row[]): Row[] => {
    rows.sort(ranksBefore as (a: Row, b: Row) => number);
    if (rows.length > n) rows.length = n;
    return rows;
  };
  const topRows: beam.CombineFn<Row, Row[], Row[]> = {
    createAccumulator: () => [],
    addInput: (top: Row[], row: Row) => {
      top.push(row);
      return best(top);
    },
    mergeAccumulators: (tops: Iterable<Row[]>) => best(([] as Row[]).concat(...tops)),
    extractOutput: (top: Row[]) => top,
  };
  return beam.withName(`top${n}By(${measure})`, (rows: beam.PCollection<Row>): beam.PCollection<Row[]> =>
    rows
      .apply(beam.groupGlobally<Row>().combining((row: Row) => row, topRows, "top"))
      .map(beam.withName("ranking", (result: { top: Row[] }) => result.top)),
  );
}

/** The top `n` (default 5) sales channels by revenue, from {@link revenueByChannel}'s rows. */
export function topChannelsByRevenue(
  n = 5,
): beam.PTransform<beam.PCollection<ChannelRevenue>, beam.PCollection<ChannelRevenue[]>> {
  return beam.withName("topChannelsByRevenue", topN<ChannelRevenue>(n, "revenuePaise", "salesChannel"));
}

/** The top `n` (default 5) customer states by units sold, from {@link quantityByState}'s rows. */
export function topStatesByQuantity(
  n = 5,
): beam.PTransform<beam.PCollection<StateQuantity>, beam.PCollection<StateQuantity[]>> {
  return beam.withName("topStatesByQuantity", topN<StateQuantity>(n, "quantity", "customerState"));
}

requireForSerialization("beam-ts-native/transforms/top_n", exports);
