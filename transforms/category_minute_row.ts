/**
 * The dashboard aggregate as Bigtable rows: table `receita_por_minuto`, family `dados`, one row per
 * (category, minute), key `<category>#<minute start, ISO 8601>` so a category's minutes sort in
 * time order. Every pane of a minute writes the same cells at the same cell timestamp (the minute's
 * start): a later pane overwrites an earlier one, and a replay rewrites what is there — idempotent.
 */
import * as beam from "apache-beam";
import { requireForSerialization } from "apache-beam/serialization";
import type { BigtableRow } from "./bigtable_row";
import type { CategoryMinute } from "./revenue_per_minute";
import { formatRupees } from "./money";

/** Table of the per-minute revenue aggregate. */
export const REVENUE_PER_MINUTE_TABLE = "receita_por_minuto";
/** Its column family. */
export const REVENUE_PER_MINUTE_FAMILY = "dados";

/** The row of one pane of a category's minute. */
export function categoryMinuteRow(m: CategoryMinute): BigtableRow {
  const timestampMicros = m.minuteStartMs * 1000;
  const cell = (qualifier: string, value: string) => ({ qualifier, value, timestampMicros });
  return {
    key: `${m.category.replace(/[%#]/g, encodeURIComponent)}#${new Date(m.minuteStartMs).toISOString()}`,
    family: REVENUE_PER_MINUTE_FAMILY,
    cells: [
      cell("revenue", formatRupees(m.revenuePaise)),
      cell("count", String(m.count)),
      cell("pane", m.timing),
      cell("update", String(m.update)),
    ],
  };
}

/** {@link categoryMinuteRow} as a transform. */
export function toCategoryMinuteRows(): beam.PTransform<beam.PCollection<CategoryMinute>, beam.PCollection<BigtableRow>> {
  return beam.withName("toCategoryMinuteRows", (minutes: beam.PCollection<CategoryMinute>) => minutes.map(categoryMinuteRow));
}

requireForSerialization("beam-ts-native/transforms/category_minute_row", exports);
