/**
 * The batch ETL's fraud report: `transforms/fraud_report.ts` applied to the valid transactions,
 * its outputs collected into this process, then formatted for a terminal.
 */
import * as beam from "apache-beam";
import { closeCollection, collect, openCollection } from "../io/in_process";
import { fraudReport, type DeviceFraud, type FraudRate } from "../transforms/fraud_report";
import type { Transaction } from "../transforms/transaction";

/** What the fraud report found. */
export interface FraudReportResult {
  byChannel: FraudRate[];
  byCategory: FraudRate[];
  byHour: FraudRate[];
  topDevices: DeviceFraud[];
}

/**
 * Adds the fraud report over `valid` to the pipeline being built; the returned function, called
 * once the pipeline has run, gives what it found.
 */
export function collectFraudReport(valid: beam.PCollection<Transaction>): () => FraudReportResult {
  const report = valid.apply(fraudReport());
  const ids = { byChannel: openCollection("fraudByChannel"), byCategory: openCollection("fraudByCategory"), byHour: openCollection("fraudByHour"), topDevices: openCollection("fraudTopDevices") };
  for (const name of ["byChannel", "byCategory", "byHour", "topDevices"] as const) {
    const id = ids[name];
    (report[name] as beam.PCollection<unknown>).map(beam.withName(`report(fraud.${name})`, (x: unknown) => collect(id, x)));
  }
  const byKey = (rows: unknown[]) => (rows as FraudRate[]).sort((a, b) => (a.key < b.key ? -1 : 1));
  return () => ({
    byChannel: byKey(closeCollection(ids.byChannel)),
    byCategory: byKey(closeCollection(ids.byCategory)),
    byHour: byKey(closeCollection(ids.byHour)),
    topDevices: (closeCollection(ids.topDevices)[0] as DeviceFraud[] | undefined) ?? [],
  });
}

/** The fraud report as text lines. */
export function formatFraudReport(report: FraudReportResult): string[] {
  const rate = (r: FraudRate) => `  ${r.key.padEnd(16)} ${(r.rate * 100).toFixed(2).padStart(6)}%  (${r.fraud} of ${r.transactions})`;
  return [
    "fraud rate by sales channel:",
    ...report.byChannel.map(rate),
    "fraud rate by category:",
    ...report.byCategory.map(rate),
    "fraud rate by hour (UTC):",
    ...report.byHour.map(rate),
    "top devices by fraudulent transactions:",
    ...report.topDevices.map((d, i) => `  ${String(i + 1).padStart(2)}. ${d.deviceId}  ${d.fraud}`),
  ];
}
