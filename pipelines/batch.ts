/**
 * The batch e-commerce ETL (seed 000's job): transaction files → parse and validate (dead letters
 * kept) → the sales aggregates → a report. CSV and JSON-lines inputs go through the same transforms
 * the streaming pipeline uses.
 */
import * as beam from "apache-beam";
import type { Runner } from "apache-beam/runners/runner";
import * as path from "path";
import { readTextLines } from "../io/files/text_files";
import { isParquetFile, readParquetRows } from "../io/files/parquet";
import { parseParquetTransactions } from "../transforms/parse_parquet";
import { collectFraudReport, type FraudReportResult } from "./fraud_report";
import { writeTextFiles } from "../io/files/text_file_sink";
import { writeDeadLetters } from "../io/dead_letters";
import { isGcsUri, type GcsOptions } from "../io/files/gcs";
import { toBigtableRows, TRANSACTIONS_TABLE } from "../transforms/bigtable_row";
import { closeCollection, collect, openCollection } from "../io/in_process";
import { parseCsvTransactions } from "../transforms/parse_csv";
import { parseJsonTransactions } from "../transforms/parse_json";
import type { DeadLetter } from "../transforms/dead_letter";
import {
  quantityByState,
  revenueByCategory,
  revenueByChannel,
  revenueByPaymentMethod,
  salesByProductAndCenter,
  type CategoryRevenue,
  type ChannelRevenue,
  type PaymentMethodRevenue,
  type ProductCenterSales,
  type StateQuantity,
} from "../transforms/aggregates";
import { topChannelsByRevenue, topStatesByQuantity } from "../transforms/top_n";
import type { Transaction } from "../transforms/transaction";

/** What the batch ETL computes. */
export interface BatchReport {
  inputs: string[];
  seconds: number;
  valid: number;
  deadLetters: DeadLetter[];
  byCategory: CategoryRevenue[];
  byPaymentMethod: PaymentMethodRevenue[];
  byProductAndCenter: ProductCenterSales[];
  topChannels: ChannelRevenue[];
  topStates: StateQuantity[];
  /** The fraud report, when an input is Parquet (fraud-labelled). */
  fraud?: FraudReportResult;
}

/** Writes the rows, dead letters and aggregates under `dir` (local or `gs://`) as JSON-lines files. */
function writeOutputs(
  dir: string,
  valid: beam.PCollection<Transaction>,
  deadLetters: beam.PCollection<DeadLetter>,
  aggregates: Record<string, beam.PCollection<unknown>>,
  gcs?: GcsOptions,
): void {
  const under = (name: string) => (isGcsUri(dir) ? `${dir.replace(/\/+$/, "")}/${name}` : path.join(dir, name));
  valid.apply(toBigtableRows()).apply(beam.withName("writeRows", writeTextFiles({ prefix: under(TRANSACTIONS_TABLE), suffix: ".jsonl", format: "jsonl", gcs })));
  deadLetters.apply(writeDeadLetters({ kind: "files", prefix: under("dead-letters"), gcs }));
  for (const [name, rows] of Object.entries(aggregates)) {
    rows.apply(beam.withName(`write(${name})`, writeTextFiles({ prefix: under(name), suffix: ".jsonl", format: "jsonl", gcs })));
  }
}

/** Every input read and parsed (CSV for `.csv`, Parquet for `.parquet`, JSON lines otherwise), valid rows and dead letters each flattened into one. */
function parseInputs(root: beam.Root, inputs: string[], gcs?: GcsOptions) {
  const parsed = inputs.map((file, i) => {
    if (isParquetFile(file)) return root.apply(beam.withName(`read[${i}]`, readParquetRows(file))).apply(beam.withName(`parse[${i}]`, parseParquetTransactions()));
    const lines = root.apply(beam.withName(`read[${i}]`, readTextLines(file, { gcs })));
    return lines.apply(beam.withName(`parse[${i}]`, file.endsWith(".csv") ? parseCsvTransactions() : parseJsonTransactions()));
  });
  const valid = beam.P(parsed.map((p) => p.valid)).apply(beam.withName("allValid", beam.flatten<Transaction>()));
  const deadLetters = beam.P(parsed.map((p) => p.deadLetter)).apply(beam.withName("allDeadLetters", beam.flatten<DeadLetter>()));
  return { valid, deadLetters };
}

function aggregatesOf(valid: beam.PCollection<Transaction>) {
  return {
    "revenue-by-category": valid.apply(revenueByCategory()),
    "revenue-by-payment-method": valid.apply(revenueByPaymentMethod()),
    "sales-by-product-and-center": valid.apply(salesByProductAndCenter()),
  };
}

/**
 * The batch ETL as a remote runner (Dataflow) runs it: inputs (local or `gs://`) → the rows, dead
 * letters and aggregates as JSON-lines files under `outputDir`; no report, which only a run in this
 * process can collect.
 */
export function batchPipeline(inputs: string[], outputDir: string, gcs?: GcsOptions): (root: beam.Root) => void {
  return (root) => {
    const { valid, deadLetters } = parseInputs(root, inputs, gcs);
    writeOutputs(outputDir, valid, deadLetters, aggregatesOf(valid), gcs);
  };
}

/**
 * Runs the batch ETL over CSV (`.csv`), Parquet (`.parquet`, the fraud generator's schema: with the
 * fraud report) and JSON-lines (any other extension) files. With `outputDir`,
 * also writes what the streaming pipeline writes to Bigtable, as JSON-lines files there: the
 * transaction rows (`transacoes-*.jsonl`), the dead letters and each aggregate.
 */
export async function runBatch(inputs: string[], runner: Runner, outputDir?: string): Promise<BatchReport> {
  const ids = {
    valid: openCollection("valid"),
    deadLetters: openCollection("deadLetters"),
    byCategory: openCollection("byCategory"),
    byPaymentMethod: openCollection("byPaymentMethod"),
    byProductAndCenter: openCollection("byProductAndCenter"),
    topChannels: openCollection("topChannels"),
    topStates: openCollection("topStates"),
  };
  const into = (id: string, name: string) => beam.withName(`report(${name})`, (x: unknown) => collect(id, x));
  const start = process.hrtime.bigint();
  let fraud: (() => FraudReportResult) | undefined;
  await runner.run((root) => {
    const { valid, deadLetters } = parseInputs(root, inputs);
    deadLetters.map(into(ids.deadLetters, "deadLetters"));
    valid.map(beam.withName("countValid", () => collect(ids.valid, 1)));
    const aggregates = aggregatesOf(valid);
    aggregates["revenue-by-category"].map(into(ids.byCategory, "byCategory"));
    aggregates["revenue-by-payment-method"].map(into(ids.byPaymentMethod, "byPaymentMethod"));
    aggregates["sales-by-product-and-center"].map(into(ids.byProductAndCenter, "byProductAndCenter"));
    valid.apply(revenueByChannel()).apply(topChannelsByRevenue()).map(into(ids.topChannels, "topChannels"));
    valid.apply(quantityByState()).apply(topStatesByQuantity()).map(into(ids.topStates, "topStates"));
    if (outputDir !== undefined) writeOutputs(outputDir, valid, deadLetters, aggregates);
    if (inputs.some(isParquetFile)) fraud = collectFraudReport(valid);
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    inputs,
    seconds,
    valid: closeCollection(ids.valid).length,
    deadLetters: closeCollection(ids.deadLetters) as DeadLetter[],
    byCategory: closeCollection(ids.byCategory) as CategoryRevenue[],
    byPaymentMethod: closeCollection(ids.byPaymentMethod) as PaymentMethodRevenue[],
    byProductAndCenter: closeCollection(ids.byProductAndCenter) as ProductCenterSales[],
    topChannels: (closeCollection(ids.topChannels)[0] as ChannelRevenue[] | undefined) ?? [],
    topStates: (closeCollection(ids.topStates)[0] as StateQuantity[] | undefined) ?? [],
    fraud: fraud?.(),
  };
}
