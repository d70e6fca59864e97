/**
 * What the committed sample (fixtures/sample) must become in Bigtable, for the end-to-end tests: its
 * good transactions, parsed line by line the way the pipeline parses them, its count of bad rows (from
 * the manifest), and an order-independent checksum to compare a table with what it should hold.
 */
import * as fs from "fs";
import * as path from "path";
import { recordsOf } from "../../chaos/expected_rows";
import type { Transaction } from "../../transforms/transaction";

export { checksum, expectedRows, type ChecksumRow } from "../../chaos/expected_rows";

const ROOT = path.resolve(__dirname, "..", "..");

/** The sample's files, CSV then JSON lines. */
export const SAMPLE_CSV = path.join(ROOT, "fixtures/sample/transactions.csv");
export const SAMPLE_JSONL = path.join(ROOT, "fixtures/sample/transactions.jsonl");
export const SAMPLE_FILES = [SAMPLE_CSV, SAMPLE_JSONL];

/** The good transactions of `files` (default: the whole sample), parsed line by line: what the pipeline must write. */
export function goodTransactions(files: string[] = SAMPLE_FILES): Transaction[] {
  return recordsOf(files).good;
}

/** How many bad rows of `files` (default: the whole sample) the manifest documents. */
export function sampleBadRowCount(files: string[] = SAMPLE_FILES): number {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "fixtures/sample/manifest.json"), "utf8"));
  const entries = manifest.files as Record<string, { badRecords: unknown[] }>;
  const names = new Set(files.map((f) => path.basename(f)));
  return Object.entries(entries).reduce((n, [name, f]) => n + (names.has(path.basename(name)) ? f.badRecords.length : 0), 0);
}
