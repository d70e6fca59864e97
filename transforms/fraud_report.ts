/**
 * The fraud report over fraud-labelled transactions (the generator's files): the fraud rate by
 * sales channel, by category and by hour of the day (UTC), and the devices with the most fraud.
 * Transactions without labels are left out. Counts are `groupBy(...).combining(...)` with Beam's
 * `sum` and `count`, which a runner lifts (partial counts before the shuffle).
 */
import * as beam from "apache-beam";
import { count, sum } from "apache-beam/transforms/combiners";
import type { Transaction } from "./transaction";
import { topN } from "./top_n";
import { requireForSerialization } from "apache-beam/serialization";

/** Transactions and fraudulent ones for one value of a key, and their ratio. */
export interface FraudRate {
  key: string;
  transactions: number;
  fraud: number;
  /** fraud / transactions. */
  rate: number;
}

/** A device and its fraudulent transactions. */
export interface DeviceFraud {
  deviceId: string;
  fraud: number;
}

/** The report's outputs. */
export type FraudReportCollections = {
  byChannel: beam.PCollection<FraudRate>;
  byCategory: beam.PCollection<FraudRate>;
  byHour: beam.PCollection<FraudRate>;
  topDevices: beam.PCollection<DeviceFraud[]>;
};

/** Hour of the day (UTC) of a transaction, two digits. */
export function hourOf(t: Transaction): string {
  const hour = Math.floor(t.eventTimeMs / 3_600_000) % 24;
  return hour < 10 ? "0" + hour : String(hour);
}

/** 1 for a fraudulent transaction, else 0. */
export function fraudCount(t: Transaction): number {
  return t.fraud!.isFraud ? 1 : 0;
}

/** Fraud rate per value of `key` (a function of the transaction). */
export function fraudRateBy(name: string, key: (t: Transaction) => string): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<FraudRate>> {
  return beam.withName(name, (labelled: beam.PCollection<Transaction>) =>
    labelled
      .apply(beam.groupBy(key, "key").combining(fraudCount, sum, "fraud").combining("transactionId", count, "transactions"))
      .map(beam.withName("rate", (r: { key: string; fraud: number; transactions: number }): FraudRate => ({ key: r.key, transactions: r.transactions, fraud: r.fraud, rate: r.fraud / r.transactions }))),
  );
}

/** The `n` devices with the most fraudulent transactions, most first (ties by device id). */
export function topDevicesByFraud(n = 10): beam.PTransform<beam.PCollection<Transaction>, beam.PCollection<DeviceFraud[]>> {
  return beam.withName(`topDevicesByFraud(${n})`, (labelled: beam.PCollection<Transaction>) =>
    labelled
      .flatMap(beam.withName("fraudulent", (t: Transaction) => (t.fraud!.isFraud ? [t] : [])))
      .apply(beam.groupBy((t: Transaction) => t.fraud!.deviceId, "deviceId").combining("transactionId", count, "fraud"))
      .apply(topN<DeviceFraud>(n, "fraud", "deviceId")),
  );
}

/** The whole report over `transactions` (those with fraud labels). */
export function fraudReport(): beam.PTransform<beam.PCollection<Transaction>, FraudReportCollections> {
  return beam.withName("fraudReport", (transactions: beam.PCollection<Transaction>): FraudReportCollections => {
    const labelled = transactions.flatMap(beam.withName("labelled", (t: Transaction) => (t.fraud === undefined ? [] : [t])));
    return {
      byChannel: labelled.apply(fraudRateBy("fraudRateByChannel", (t: Transaction) => t.salesChannel)),
      byCategory: labelled.apply(fraudRateBy("fraudRateByCategory", (t: Transaction) => t.category)),
      byHour: labelled.apply(fraudRateBy("fraudRateByHour", hourOf)),
      topDevices: labelled.apply(topDevicesByFraud()),
    };
  });
}

requireForSerialization("beam-ts-native/transforms/fraud_report", exports);
