/**
 * The per-minute aggregate a probe's stream ended with, judged from outside: the latest revenue and
 * count cells of every (category, minute) row, added up per category, against the totals of the
 * good transactions published (chaos/expected_rows.ts) — revenue to the paisa. Read it once the job
 * has drained: a minute's last pane may come with the drain.
 */
import { readRows } from "../io/bigtable";
import { formatRupees, type Paise } from "../transforms/money";
import type { Transaction } from "../transforms/transaction";
import { categoryTotals, type CategoryTotal } from "./expected_rows";
import { CHAOS_AGGREGATE_TABLE } from "./job";
import { CHAOS_INSTANCE, CHAOS_PROJECT } from "./tables";

/** What the aggregate holds against what it must. */
export interface AggregateOutcome {
  /** (category, minute) rows in the table. */
  minutesWritten: number;
  categoriesExpected: number;
  /** Categories missing, extra, or whose revenue or count over their minutes is not the transactions'. */
  categoriesWrong: number;
  /** Rupees, two decimals: summed from the good transactions, and over the aggregate's latest cells. */
  revenueExpected: string;
  revenueWritten: string;
  purchasesExpected: number;
  purchasesCounted: number;
}

/** Reads the job's aggregate table and judges it against `good` (see the module comment). */
export async function aggregateOutcome(good: Transaction[]): Promise<AggregateOutcome> {
  const want = categoryTotals(good);
  const rows = await readRows({ projectId: CHAOS_PROJECT, instanceId: CHAOS_INSTANCE, tableId: CHAOS_AGGREGATE_TABLE, versionsPerColumn: 1, timeoutMs: 120_000 }).catch(() => []);
  const got = new Map<string, CategoryTotal>();
  for (const row of rows) {
    const cell = (qualifier: string) => row.cells.find((c) => c.qualifier === qualifier)?.value ?? "";
    // The key is `<category, %-escaped>#<minute>`.
    const category = decodeURIComponent(row.key.slice(0, row.key.lastIndexOf("#")));
    const total = got.get(category) ?? { revenuePaise: 0, count: 0 };
    total.revenuePaise += paiseOfCell(cell("revenue"));
    total.count += Number(cell("count"));
    got.set(category, total);
  }
  const categories = new Set([...want.keys(), ...got.keys()]);
  const same = (a: CategoryTotal | undefined, b: CategoryTotal | undefined) => a !== undefined && b !== undefined && a.revenuePaise === b.revenuePaise && a.count === b.count;
  const sum = (totals: Map<string, CategoryTotal>, field: keyof CategoryTotal) => [...totals.values()].reduce((s, t) => s + t[field], 0);
  return {
    minutesWritten: rows.length,
    categoriesExpected: want.size,
    categoriesWrong: [...categories].filter((c) => !same(want.get(c), got.get(c))).length,
    revenueExpected: formatRupees(sum(want, "revenuePaise")),
    revenueWritten: formatRupees(sum(got, "revenuePaise")),
    purchasesExpected: sum(want, "count"),
    purchasesCounted: sum(got, "count"),
  };
}

/** Rupees with two decimals ("1234.50", as the aggregate's cells hold them) as paise, exactly; NaN for anything else. */
function paiseOfCell(value: string): Paise {
  const match = /^(-?)(\d+)\.(\d\d)$/.exec(value);
  if (match === null) return NaN;
  const paise = Number(match[2]) * 100 + Number(match[3]);
  return match[1] === "-" ? -paise : paise;
}
