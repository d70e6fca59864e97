/**
 * What files published as a stream must become in Bigtable, told from the files alone: their good
 * transactions, parsed line by line the way the pipeline parses them, the rows those make, and an
 * order-independent checksum to compare a table with what it should hold. The probes and the
 * end-to-end tests (test/support/sample_rows.ts) judge a run by it. And what the per-minute aggregate
 * must add up to per category, summed here from the transactions themselves.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import { transactionRow } from "../transforms/bigtable_row";
import { revenueOf, type Transaction } from "../transforms/transaction";
import type { Paise } from "../transforms/money";
import { csvLineRole, parseCsvLine } from "../transforms/parse_csv";
import { parseJsonLine } from "../transforms/parse_json";
import { isBlankLine } from "../transforms/text_line";

/** A row with its cells, as readRows returns it (and as {@link expectedRows} builds it). */
export interface ChecksumRow {
  key: string;
  cells: { family: string; qualifier: string; value: string; timestampMicros: number }[];
}

/** What the records of `files` are: the good transactions, and how many records are bad (dead letters). */
export function recordsOf(files: string[]): { good: Transaction[]; bad: number } {
  const good: Transaction[] = [];
  let bad = 0;
  for (const file of files) {
    fs.readFileSync(file, "utf8").split("\n").forEach((raw, i) => {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (isBlankLine(line)) return;
      if (file.endsWith(".csv") && csvLineRole(line, i + 1) === "header") return;
      const parsed = file.endsWith(".csv") ? parseCsvLine(line) : parseJsonLine(line);
      if ("ok" in parsed) good.push(parsed.ok);
      else bad++;
    });
  }
  return { good, bad };
}

/** The transaction rows of `transactions` with each cell's family: comparable with what readRows returns. */
export function expectedRows(transactions: Transaction[]): ChecksumRow[] {
  return transactions.map(transactionRow).map((r) => ({ key: r.key, cells: r.cells.map((c) => ({ family: r.family, ...c })) }));
}

/** An order-independent checksum of rows: key, then every cell's family, qualifier, value and time. */
export function checksum(rows: ChecksumRow[]): string {
  const lines = rows.map((r) => [r.key, ...r.cells.map((c) => `${c.family}:${c.qualifier}@${c.timestampMicros}=${c.value}`).sort()].join("|")).sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

/** A category's revenue (exact paise) and number of purchases. */
export interface CategoryTotal {
  revenuePaise: Paise;
  count: number;
}

/** Per category, the revenue and number of `transactions`. */
export function categoryTotals(transactions: Transaction[]): Map<string, CategoryTotal> {
  const totals = new Map<string, CategoryTotal>();
  for (const t of transactions) {
    const total = totals.get(t.category) ?? { revenuePaise: 0, count: 0 };
    total.revenuePaise += revenueOf(t);
    total.count += 1;
    totals.set(t.category, total);
  }
  return totals;
}
