/**
 * bench:fn-api's workload (the bench:runner one): read a CSV → parse → group by category → sum
 * revenue, the result written from whichever process runs the last step (fn_api_sink.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as beam from "apache-beam";
import * as combiners from "apache-beam/transforms/combiners";
import { readTextLines } from "../io/files/text_files";
import { parseCsvTransactions } from "../transforms/parse_csv";
import { revenueOf, type Transaction } from "../transforms/transaction";
import { directRunner, type DirectRunnerOptions } from "../runners/direct";
import { appendRow } from "./fn_api_sink";

/** Runs the workload over `file` on our runner with `options`: its seconds and its result (revenue in paise per category). */
export async function runWorkload(file: string, options: DirectRunnerOptions): Promise<{ seconds: number; result: Record<string, number> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-fn-api-"));
  const out = path.join(dir, "result.jsonl");
  fs.writeFileSync(out, "");
  const start = process.hrtime.bigint();
  await directRunner(options).run((root) => {
    root
      .apply(readTextLines(file))
      .apply(parseCsvTransactions())
      .valid.apply(beam.groupBy((t: Transaction) => t.category).combining((t: Transaction) => revenueOf(t), combiners.sum, "revenue"))
      .map(beam.withName("writeResult", (row: { key: string; revenue: number }) => appendRow(out, row)));
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rows = fs.readFileSync(out, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { key: string; revenue: number });
  fs.rmSync(dir, { recursive: true, force: true });
  const result = Object.fromEntries(rows.sort((a, b) => (a.key < b.key ? -1 : 1)).map((r) => [r.key, Math.round(r.revenue * 100)]));
  return { seconds, result };
}
