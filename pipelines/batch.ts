/**
 * The batch e-commerce ETL (seed 000's job): transaction files → parse and validate (dead letters
 * kept) → the sales aggregates → a report. CSV and JSON-lines inputs go through the same transforms
 * the streaming pipeline uses.
 */
import * as beam from "apache-beam";
import type { Runner } from "apache-beam/runners/runner";
import * as path from "path";
import { readTextLines } from "../io/files/text_files";
import { withCpuLoad } from "../transforms/cpu_load";
import { writeTextFiles } from "../io/files/text_file_sink";
import { writeDeadLetters } from "../io/dead_letters";
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
}

/** Knobs of the batch ETL. */
export interface BatchSettings {
  /** SHA-256 rounds per input line before parsing (seed 000's `--loops`; default 0). */
  cpuLoad?: number;
}

/** Writes the rows, dead letters and aggregates under `dir` as JSON-lines files. */
function writeOutputs(
  dir: string,
  valid: beam.PCollection<Transaction>,
  deadLetters: beam.PCollection<DeadLetter>,
  aggregates: Record<string, beam.PCollection<unknown>>,
): void {
  valid.apply(toBigtableRows()).apply(beam.withName("writeRows", writeTextFiles({ prefix: path.join(dir, TRANSACTIONS_TABLE), suffix: ".jsonl", format: "jsonl" })));
  deadLetters.apply(writeDeadLetters({ kind: "files", prefix: path.join(dir, "dead-letters") }));
  for (const [name, rows] of Object.entries(aggregates)) {
    rows.apply(beam.withName(`write(${name})`, writeTextFiles({ prefix: path.join(dir, name), suffix: ".jsonl", format: "jsonl" })));
  }
}

/**
 * Runs the batch ETL over CSV (`.csv`) and JSON-lines (any other extension) files. With `outputDir`,
 * also writes what the streaming pipeline writes to Bigtable, as JSON-lines files there: the
 * transaction rows (`transacoes-*.jsonl`), the dead letters and each aggregate.
 */
export async function runBatch(inputs: string[], runner: Runner, outputDir?: string, settings: BatchSettings = {}): Promise<BatchReport> {
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
  await runner.run((root) => {
    const parsed = inputs.map((file, i) => {
      const lines = withCpuLoad(root.apply(beam.withName(`read[${i}]`, readTextLines(file))), settings.cpuLoad ?? 0);
      return lines.apply(beam.withName(`parse[${i}]`, file.endsWith(".csv") ? parseCsvTransactions() : parseJsonTransactions()));
    });
    const valid = beam.P(parsed.map((p) => p.valid)).apply(beam.withName("allValid", beam.flatten<Transaction>()));
    const deadLetters = beam.P(parsed.map((p) => p.deadLetter)).apply(beam.withName("allDeadLetters", beam.flatten<DeadLetter>()));
    deadLetters.map(into(ids.deadLetters, "deadLetters"));
    valid.map(beam.withName("countValid", () => collect(ids.valid, 1)));
    const aggregates = {
      "revenue-by-category": valid.apply(revenueByCategory()),
      "revenue-by-payment-method": valid.apply(revenueByPaymentMethod()),
      "sales-by-product-and-center": valid.apply(salesByProductAndCenter()),
    };
    aggregates["revenue-by-category"].map(into(ids.byCategory, "byCategory"));
    aggregates["revenue-by-payment-method"].map(into(ids.byPaymentMethod, "byPaymentMethod"));
    aggregates["sales-by-product-and-center"].map(into(ids.byProductAndCenter, "byProductAndCenter"));
    valid.apply(revenueByChannel()).apply(topChannelsByRevenue()).map(into(ids.topChannels, "topChannels"));
    valid.apply(quantityByState()).apply(topStatesByQuantity()).map(into(ids.topStates, "topStates"));
    if (outputDir !== undefined) writeOutputs(outputDir, valid, deadLetters, aggregates);
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
  };
}
