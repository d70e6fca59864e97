/**
 * The live dashboard's aggregate: revenue and number of transactions per category per minute of
 * event time, updated every few seconds while the minute is open, final when the watermark passes
 * it, corrected by late transactions afterwards. Every pane holds the minute's full total so far
 * (accumulating), so a consumer simply keeps the latest pane per (category, minute) — which is also
 * what makes writing it idempotent: replays overwrite the same cell with the same or a newer total.
 */
import * as beam from "apache-beam";
import Long from "long";
import { requireForSerialization } from "apache-beam/serialization";
import { minuteWindowsWithEarlyUpdates } from "../sdk/windowing";
import { revenueByCategory, type CategoryRevenue } from "./aggregates";
import type { Transaction } from "./transaction";
import type { Paise } from "./money";

/** One update of one category's minute. */
export interface CategoryMinute {
  category: string;
  /** Start of the minute, milliseconds since the epoch (UTC). */
  minuteStartMs: number;
  /** Revenue in paise (exact). */
  revenuePaise: Paise;
  count: number;
  /** EARLY (the minute is still open), ON_TIME (the watermark passed it) or LATE (a correction). */
  timing: string;
  /** 0, 1, 2… for the successive updates of this category's minute. */
  update: number;
}

/** Settings of {@link revenuePerCategoryPerMinute}. */
export interface RevenuePerMinuteOptions {
  /** Processing time between early updates of an open minute (default 5 000 ms). */
  updateEveryMs?: number;
  /** How long after its end (event time) a minute still takes late transactions (default 10 min). */
  allowedLatenessMs?: number;
}

/**
 * Revenue and count per category per event-time minute, with early updates and late corrections.
 * Windows by the elements' timestamps: read Pub/Sub with the event time as timestamp attribute, or
 * apply {@link stampEventTime} to transactions read from files.
 */
export function revenuePerCategoryPerMinute(
  options: RevenuePerMinuteOptions = {},
): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<CategoryMinute>> {
  const updateEveryMs = options.updateEveryMs ?? 5_000;
  const allowedLatenessMs = options.allowedLatenessMs ?? 10 * 60_000;
  return beam.withName("revenuePerCategoryPerMinute", (transactions: beam.PCollection<Transaction>) =>
    transactions
      .apply(minuteWindowsWithEarlyUpdates<Transaction>(updateEveryMs, { allowedLatenessMs }))
      .apply(revenueByCategory())
      .map(beam.withName("withMinuteAndPane", categoryMinute), { window: beam.windowParam(), pane: beam.paneInfoParam() }),
  );
}

/** Stamps each transaction with its own event time (for inputs that carry none, like files). */
export function stampEventTime(): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<Transaction>> {
  return beam.withName("stampEventTime", beam.assignTimestamps((t: Transaction) => Long.fromNumber(t.eventTimeMs)));
}

/** A category's totals with the minute and update they belong to. */
export function categoryMinute(
  row: CategoryRevenue,
  context: { window: beam.ParDoLookupParam<beam.Window>; pane: beam.ParDoLookupParam<beam.PaneInfo> },
): CategoryMinute {
  const window = context.window.lookup() as beam.IntervalWindow;
  const pane = context.pane.lookup();
  return {
    category: row.category,
    minuteStartMs: window.start.toNumber(),
    revenuePaise: row.revenuePaise,
    count: row.count,
    timing: pane.timing,
    update: pane.index,
  };
}

requireForSerialization("beam-ts-native/transforms/revenue_per_minute", exports);
