/**
 * The batch e-commerce ETL (seed 000's job): transaction files → parse and validate (dead letters
 * kept) → the sales aggregates → a report. CSV and JSON-lines inputs go through the same transforms
 * the streaming pipeline uses; Parquet inputs (the fraud generator's) add the fraud report.
 *
 * Bounded by design: memory grows with the number of distinct keys, never with the rows. Nothing
 * per record is held for the report — the valid count is the aggregates' (every valid transaction
 * has a category), dead letters are streamed to their sink with only a count and a sample of five
 * kept, and the report's rows are aggregates. Outputs are sharded by the input's size.
 */
import * as beam from "apache-beam";
import * as fs from "fs";
import * as path from "path";
import { readTextLines } from "../io/files/text_files";
import { withCpuLoad } from "../transforms/cpu_load";
import { readParquetRows } from "../io/files/parquet";
import { parseParquetTransactions } from "../transforms/parse_parquet";
import { collectFraudReport, type FraudReportResult } from "./fraud_report";
import { writeTextFiles } from "../io/files/text_file_sink";
import { writeDeadLetters } from "../io/dead_letters";
import { isGcsUri, type GcsOptions } from "../io/files/gcs";
import { transactionRowJson, TRANSACTIONS_TABLE } from "../transforms/bigtable_row";
import { closeCollection, collect, openCollection } from "../io/in_process";
import { parseCsvTransactions } from "../transforms/parse_csv";
import { parseJsonTransactions } from "../transforms/parse_json";
import type { DeadLetter } from "../transforms/dead_letter";
import { deadLetterSample, type DeadLetterSample } from "../transforms/dead_letter_sample";
import {
  salesSummary,
  type AggregateName,
  type CategoryRevenue,
  type ProductCenterSales,
  type SalesSummary,
  type ChannelRevenue,
  type PaymentMethodRevenue,
  type StateQuantity,
} from "../transforms/aggregates";
import { topChannelsByRevenue, topN, topStatesByQuantity } from "../transforms/top_n";
import type { Transaction } from "../transforms/transaction";
import type { InputFormat, ResolvedInput } from "../io/files/input_format";
import type { DirectRunner } from "../runners/direct";

/** What the batch ETL computes. */
export interface BatchReport {
  inputs: string[];
  seconds: number;
  valid: number;
  deadLetters: DeadLetterSample;
  byCategory: CategoryRevenue[];
  byPaymentMethod: PaymentMethodRevenue[];
  /** How many (product, distribution center) pairs sold; their totals are in the output files. */
  productCenterPairs: number;
  /** The {@link TOP_PRODUCT_CENTERS} (product, distribution center) pairs with the most revenue. */
  topProductCenters: ProductCenterSales[];
  topChannels: ChannelRevenue[];
  topStates: StateQuantity[];
  /** The fraud report, when an input is Parquet (fraud-labelled). */
  fraud?: FraudReportResult;
}

/** Knobs of the batch ETL. */
export interface BatchSettings {
  /** SHA-256 rounds per input line before parsing (seed 000's `--loops`; default 0; text inputs). */
  cpuLoad?: number;
  /** The longest line of a text input (`readTextLines`' `maxLineBytes`; default 10 MiB): longer ones are dead letters. */
  maxLineBytes?: number;
}

/** Valid transactions and dead letters, as every parser gives them. */
type Parsed = { valid: beam.PCollection<Transaction>; deadLetter: beam.PCollection<DeadLetter> };

/** How each input format is read and parsed: the one place a new format plugs in. */
const READERS: Record<InputFormat, (files: string[], gcs?: GcsOptions, settings?: BatchSettings) => beam.PTransform<beam.Root, Parsed>> = {
  csv: (files, gcs, { cpuLoad = 0, maxLineBytes } = {}) => (root: beam.Root) =>
    withCpuLoad(root.apply(readTextLines(files, { gcs, maxLineBytes })), cpuLoad).apply(parseCsvTransactions()),
  jsonl: (files, gcs, { cpuLoad = 0, maxLineBytes } = {}) => (root: beam.Root) =>
    withCpuLoad(root.apply(readTextLines(files, { gcs, maxLineBytes })), cpuLoad).apply(parseJsonTransactions()),
  parquet: (files, gcs) => (root: beam.Root) => root.apply(readParquetRows(files, { gcs })).apply(parseParquetTransactions()),
};

/** How many (product, distribution center) pairs the report names (all of them: in the output files). */
export const TOP_PRODUCT_CENTERS = 10;

/** Elements per bundle unless told otherwise: larger bundles mean fewer partial totals and temp files. */
export const BATCH_BUNDLE_SIZE = 10_000;

/** Input bytes per output shard of the rows (JSON rows are ~9× the CSV bytes): 1M CSV rows → 4 shards. */
const INPUT_BYTES_PER_ROWS_SHARD = 32 << 20;
const MAX_SHARDS = 64;

/** How many shards the transaction rows get: by the local input's size (`gs://` inputs: 4). */
export function rowShards(inputs: ResolvedInput[]): number {
  let bytes = 0;
  for (const input of inputs) for (const file of input.files) bytes += isGcsUri(file) ? 4 * INPUT_BYTES_PER_ROWS_SHARD : fs.statSync(file).size;
  return Math.min(MAX_SHARDS, Math.max(1, Math.ceil(bytes / INPUT_BYTES_PER_ROWS_SHARD)));
}

/** Writes the rows (sharded), dead letters and aggregates under `dir` (local or `gs://`) as JSON-lines files. */
function writeOutputs(
  dir: string,
  rowsShards: number,
  valid: beam.PCollection<Transaction>,
  deadLetters: beam.PCollection<DeadLetter>,
  aggregates: Record<string, beam.PCollection<unknown>>,
  gcs?: GcsOptions,
): void {
  const under = (name: string) => (isGcsUri(dir) ? `${dir.replace(/\/+$/, "")}/${name}` : path.join(dir, name));
  const jsonl = (name: string) => writeTextFiles({ prefix: under(name), suffix: ".jsonl", format: "jsonl", gcs });
  valid
    .map(beam.withName("transactionRowJson", (t: Transaction) => transactionRowJson(t)))
    .apply(beam.withName("writeRows", writeTextFiles({ prefix: under(TRANSACTIONS_TABLE), suffix: ".jsonl", format: "text", shards: rowsShards, gcs })));
  deadLetters.apply(writeDeadLetters({ kind: "files", prefix: under("dead-letters"), gcs }));
  for (const [name, rows] of Object.entries(aggregates)) rows.apply(beam.withName(`write(${name})`, jsonl(name)));
}

/** While the job runs, what it has done so far (for progress lines). */
export interface BatchProgress {
  /** Records parsed so far: valid ones and dead letters. */
  records: number;
  seconds: number;
}

/**
 * Every input read and parsed, valid rows and dead letters each in one collection. One reader per
 * format, not per input: a flatten is a stage boundary where our runner queues without
 * backpressure, so with a single format the whole job is one fused, backpressured stage.
 * `parsedIds`: the PCollections the parsers produce (valid and dead letters), whose element counts
 * are the records parsed so far — counted by the runner, not by a step with a metric, which the
 * runner would run through the SDK's slower per-element path.
 */
function parseInputs(root: beam.Root, inputs: ResolvedInput[], gcs?: GcsOptions, settings: BatchSettings = {}) {
  const formats = [...new Set(inputs.map((input) => input.format))];
  const parsed = formats.map((format) =>
    root.apply(beam.withName(`read(${format})`, READERS[format](inputs.filter((input) => input.format === format).flatMap((input) => input.files), gcs, settings))),
  );
  const valid = oneOf(parsed.map((p) => p.valid), "allValid");
  const deadLetters = oneOf(parsed.map((p) => p.deadLetter), "allDeadLetters");
  const parsedIds = parsed.flatMap((p) => [p.valid.getId(), p.deadLetter.getId()]);
  return { valid, deadLetters, parsedIds };
}

/** Every sales aggregate in one pass over `valid` (one combine), and each one's rows. */
function aggregatesOf(valid: beam.PCollection<Transaction>) {
  const summary = valid.apply(salesSummary());
  const rowsOf = <Row>(name: AggregateName) => summary.flatMap(beam.withName(`rows(${name})`, (s: SalesSummary) => s[name] as Row[]));
  return {
    rows: {
      "revenue-by-category": rowsOf<CategoryRevenue>("revenueByCategory"),
      "revenue-by-payment-method": rowsOf<PaymentMethodRevenue>("revenueByPaymentMethod"),
      "sales-by-product-and-center": rowsOf<ProductCenterSales>("salesByProductAndCenter"),
    },
    rowsOf,
  };
}

/**
 * The batch ETL as a remote runner (Dataflow) runs it: inputs (local or `gs://`) → the rows, dead
 * letters and aggregates as JSON-lines files under `outputDir`; no report, which only a run in this
 * process can collect. `rowsShards`: by default, from the inputs' sizes ({@link rowShards}).
 */
export function batchPipeline(inputs: ResolvedInput[], outputDir: string, gcs?: GcsOptions, rowsShards = rowShards(inputs)): (root: beam.Root) => void {
  return (root) => {
    const { valid, deadLetters } = parseInputs(root, inputs, gcs);
    writeOutputs(outputDir, rowsShards, valid, deadLetters, aggregatesOf(valid).rows, gcs);
  };
}

/**
 * Runs the batch ETL over resolved inputs (io/files/input_format.ts: CSV, JSON lines or Parquet —
 * the fraud generator's schema, which adds the fraud report). With `outputDir`, also writes what
 * the streaming pipeline writes to Bigtable, as JSON-lines files there: the transaction rows
 * (`transacoes-*.jsonl`, sharded), the dead letters and each aggregate. `onProgress` is called
 * about once a second while it runs; `settings.cpuLoad` makes each record's work heavy,
 * `settings.maxLineBytes` bounds a text line.
 */
export async function runBatch(
  inputs: ResolvedInput[],
  runner: DirectRunner,
  outputDir?: string,
  onProgress?: (progress: BatchProgress) => void,
  settings: BatchSettings = {},
): Promise<BatchReport> {
  const ids = {
    deadLetters: openCollection("deadLetters"),
    byCategory: openCollection("byCategory"),
    byPaymentMethod: openCollection("byPaymentMethod"),
    productCenterPairs: openCollection("productCenterPairs"),
    topProductCenters: openCollection("topProductCenters"),
    topChannels: openCollection("topChannels"),
    topStates: openCollection("topStates"),
  };
  const into = (id: string, name: string) => beam.withName(`report(${name})`, (x: unknown) => collect(id, x));
  const rowsShards = rowShards(inputs);
  const start = process.hrtime.bigint();
  let fraud: (() => FraudReportResult) | undefined;
  let parsedIds: string[] = [];
  const result = await runner.runAsync((root) => {
    const parsed = parseInputs(root, inputs, undefined, settings);
    const { valid, deadLetters } = parsed;
    parsedIds = parsed.parsedIds;
    deadLetters.apply(deadLetterSample(5)).map(into(ids.deadLetters, "deadLetters"));
    const { rows: aggregates, rowsOf } = aggregatesOf(valid);
    aggregates["revenue-by-category"].map(into(ids.byCategory, "byCategory"));
    aggregates["revenue-by-payment-method"].map(into(ids.byPaymentMethod, "byPaymentMethod"));
    const pairs = aggregates["sales-by-product-and-center"];
    pairs.apply(beam.withName("countPairs", beam.countGlobally())).map(into(ids.productCenterPairs, "pairs"));
    pairs.apply(topN<ProductCenterSales>(TOP_PRODUCT_CENTERS, "revenuePaise", ["productId", "distributionCenter"])).map(into(ids.topProductCenters, "topPairs"));
    rowsOf<ChannelRevenue>("revenueByChannel").apply(topChannelsByRevenue()).map(into(ids.topChannels, "topChannels"));
    rowsOf<StateQuantity>("quantityByState").apply(topStatesByQuantity()).map(into(ids.topStates, "topStates"));
    if (outputDir !== undefined) writeOutputs(outputDir, rowsShards, valid, deadLetters, aggregates);
    if (inputs.some((input) => input.format === "parquet")) fraud = collectFraudReport(valid);
  });
  const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
  const ticker =
    onProgress &&
    setInterval(() => {
      const carried = result.status().pcollections;
      onProgress({ records: parsedIds.reduce((n, id) => n + (carried[id] ?? 0), 0), seconds: seconds() });
    }, 1_000);
  try {
    await result.waitUntilFinish();
    const failure = (result as { error?: () => Error | undefined }).error?.();
    if (failure !== undefined) throw failure;
  } catch (error) {
    for (const id of Object.values(ids)) closeCollection(id);
    fraud?.();
    throw error;
  } finally {
    if (ticker) clearInterval(ticker);
  }
  const byCategory = closeCollection(ids.byCategory) as CategoryRevenue[];
  return {
    inputs: inputs.map((input) => input.pattern),
    seconds: seconds(),
    valid: byCategory.reduce((n, c) => n + c.count, 0),
    deadLetters: (closeCollection(ids.deadLetters)[0] as DeadLetterSample | undefined) ?? { count: 0, first: [] },
    byCategory,
    byPaymentMethod: closeCollection(ids.byPaymentMethod) as PaymentMethodRevenue[],
    productCenterPairs: (closeCollection(ids.productCenterPairs)[0] as number | undefined) ?? 0,
    topProductCenters: (closeCollection(ids.topProductCenters)[0] as ProductCenterSales[] | undefined) ?? [],
    topChannels: (closeCollection(ids.topChannels)[0] as ChannelRevenue[] | undefined) ?? [],
    topStates: (closeCollection(ids.topStates)[0] as StateQuantity[] | undefined) ?? [],
    fraud: fraud?.(),
  };
}

/** The one PCollection, or several flattened into one. */
function oneOf<T>(pcolls: beam.PCollection<T>[], name: string): beam.PCollection<T> {
  return pcolls.length === 1 ? pcolls[0] : beam.P(pcolls).apply(beam.withName(name, beam.flatten<T>()));
}
