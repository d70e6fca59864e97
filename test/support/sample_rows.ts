/**
 * What the committed sample (fixtures/sample) must become in Bigtable, for the end-to-end tests: its
 * good transactions, parsed line by line the way the pipeline parses them, its count of bad rows (from
 * the manifest), and an order-independent checksum to compare a table with what it should hold.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { transactionRow } from "../../transforms/bigtable_row";
import { csvLineRole, parseCsvLine } from "../../transforms/parse_csv";
import { parseJsonLine } from "../../transforms/parse_json";
import { isBlankLine } from "../../transforms/text_line";
import type { Transaction } from "../../transforms/transaction";

const ROOT = path.resolve(__dirname, "..", "..");

/** The sample's files, CSV then JSON lines. */
export const SAMPLE_CSV = path.join(ROOT, "fixtures/sample/transactions.csv");
export const SAMPLE_JSONL = path.join(ROOT, "fixtures/sample/transactions.jsonl");
export const SAMPLE_FILES = [SAMPLE_CSV, SAMPLE_JSONL];

/** A row with its cells, as readRows returns it (and as {@link expectedRows} builds it). */
export interface ChecksumRow {
  key: string;
  cells: { family: string; qualifier: string; value: string; timestampMicros: number }[];
}

/** The good transactions of `files` (default: the whole sample), parsed line by line: what the pipeline must write. */
export function goodTransactions(files: string[] = SAMPLE_FILES): Transaction[] {
  const good: Transaction[] = [];
  for (const file of files) {
    fs.readFileSync(file, "utf8").split("\n").forEach((raw, i) => {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (isBlankLine(line)) return;
      if (file.endsWith(".csv") && csvLineRole(line, i + 1) === "header") return;
      const parsed = file.endsWith(".csv") ? parseCsvLine(line) : parseJsonLine(line);
      if ("ok" in parsed) good.push(parsed.ok);
    });
  }
  return good;
}

/** How many bad rows of `files` (default: the whole sample) the manifest documents. */
export function sampleBadRowCount(files: string[] = SAMPLE_FILES): number {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "fixtures/sample/manifest.json"), "utf8"));
  const entries = manifest.files as Record<string, { badRecords: unknown[] }>;
  const names = new Set(files.map((f) => path.basename(f)));
  return Object.entries(entries).reduce((n, [name, f]) => n + (names.has(path.basename(name)) ? f.badRecords.length : 0), 0);
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
