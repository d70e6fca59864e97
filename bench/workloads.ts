/**
 * The workloads the runner benchmark measures, each as a function of a file path, so that every
 * variant (our runner, the SDK's runner, a plain loop) does exactly the same work.
 */
import * as fs from "fs";
import { directRunner } from "../runners/direct";
import { BATCH_BUNDLE_SIZE, runBatch } from "../pipelines/batch";
import { resolveInput } from "../io/files/input_format";
import * as beam from "apache-beam";
import { readTextLines, forEachLineChunk } from "../io/files/text_files";
import { fromArray } from "../io/in_memory";
import { parseCsvTransactions, parseCsvLine, csvLineRole } from "../transforms/parse_csv";
import { combinePerKey } from "apache-beam/transforms/internal";
import { sum } from "apache-beam/transforms/combiners";
import { revenueOf, type Transaction } from "../transforms/transaction";
import { collect } from "../io/in_process";
import { withCpuLoad } from "../transforms/cpu_load";
import { sha256Rounds } from "../transforms/sha256";
import { requireForSerialization } from "apache-beam/serialization";

/** Revenue per category, as every variant reports it. */
export type CategoryRevenue = Record<string, number>;

/**
 * read → parse (the project's transform) → group by category → sum, as a Beam pipeline. The sum is
 * a combine per key of each transaction's revenue, as `transforms/aggregates.ts` totals: a runner
 * that lifts it (ours) keeps one running total per key, with nothing made per element but the
 * keyed pair. (The SDK's `groupBy().combining()` also made a closure, arrays and a generator per
 * element, and arrays in its `addInput`: ~500 B a row.) The value is the revenue, not the
 * transaction: the SDK's runner does not lift combines and holds every value until its group by key.
 * `streamed` reads with our streaming reader; otherwise the file is read whole by a flatMap, the
 * only way that works on the SDK's runner (its impulse does not wait for an async source).
 */
export function categoryRevenuePipeline(file: string, collectionId: string, streamed: boolean, rounds = 0) {
  const read = streamed
    ? readTextLines(file)
    : (root: beam.Root) =>
        root.apply(beam.impulse()).flatMap(
          beam.withName("readWholeFile", () => readWholeFile(file).map((line, i) => ({ line, file, lineNumber: i + 1 }))),
        );
  return (root: beam.Root) => {
    withCpuLoad(root.apply(read), rounds)
      .apply(parseCsvTransactions())
      .valid.map(beam.withName("revenueOfCategory", (t: Transaction) => ({ key: t.category, value: revenueOf(t) })))
      .apply(combinePerKey(sum))
      .map((kv: { key: string; value: number }) => collect(collectionId, { key: kv.key, revenue: kv.value }));
  };
}

/** The lines of a file, read at once (what a flatMap on the SDK's runner has to do). */
export function readWholeFile(file: string): string[] {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The same work as {@link categoryRevenuePipeline}, as the loop one would write by hand. */
export async function categoryRevenueLoop(file: string, rounds = 0): Promise<CategoryRevenue> {
  const revenue = new Map<string, number>();
  await forEachLineChunk(file, (lines) => {
    for (const { line, lineNumber } of lines) {
      if (rounds > 0) sha256Rounds(line, rounds);
      if (csvLineRole(line, lineNumber) !== "record") continue;
      const parsed = parseCsvLine(line);
      if (!("ok" in parsed)) continue;
      const t = parsed.ok;
      revenue.set(t.category, (revenue.get(t.category) ?? 0) + revenueOf(t));
    }
  });
  return Object.fromEntries(revenue);
}

/**
 * The whole batch ETL (`npm run pipeline -- --pipeline=batch`) over `file`: every aggregate, the
 * report, the rows, aggregates and dead letters written under `output` (made and removed by the
 * caller, outside the timing, as the other variants have nothing to clean up). Returns revenue per
 * category, to agree with the other variants. `workers`: the runner's (default: the machine's cores).
 */
export async function batchEtl(file: string, output: string, workers?: number): Promise<CategoryRevenue> {
  const report = await runBatch([resolveInput(file)], directRunner({ bundleSize: BATCH_BUNDLE_SIZE, workers }), output);
  return Object.fromEntries(report.byCategory.map((c) => [c.category, c.revenuePaise]));
}

/** The numbers 0 … count-1: the map chain's input, made before the clock starts. */
export function mapChainInput(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** `numbers` through three maps, then counted. */
export function mapChainPipeline(numbers: number[], collectionId: string) {
  return (root: beam.Root) => {
    root
      .apply(fromArray(numbers))
      .map((x: number) => x + 1)
      .map((x: number) => x * 2)
      .map((x: number) => x - 1)
      .apply(beam.countGlobally())
      .map((n: number) => collect(collectionId, n));
  };
}

requireForSerialization("beam-ts-native/bench/workloads", exports);
