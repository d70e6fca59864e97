/** The batch ETL's report as text for a terminal (seed 000's report, plus dead letters). */
import type { BatchReport } from "./batch";
import { formatRupeesGrouped as money } from "../transforms/money";
import { formatFraudReport } from "./fraud_report";

/** Formats `report` for people; every number in it comes from the report. */
export function formatBatchReport(report: BatchReport): string {
  const records = report.valid + report.deadLetters.count;
  const lines = [
    `inputs: ${report.inputs.join(", ")}`,
    `records: ${records} read, ${report.valid} valid, ${report.deadLetters.count} dead letters`,
    `throughput: ${Math.round(records / report.seconds)} records/s (${report.seconds.toFixed(2)} s)`,
  ];
  if (records === 0) return lines.join("\n");
  lines.push(
    "",
    "top 5 sales channels by revenue:",
    ...report.topChannels.map((c, i) => `  ${i + 1}. ${c.salesChannel.padEnd(14)} ${money(c.revenuePaise).padStart(16)}`),
    "top 5 customer states by quantity:",
    ...report.topStates.map((s, i) => `  ${i + 1}. ${s.customerState.padEnd(24)} ${String(s.quantity).padStart(8)}`),
    "revenue by category:",
    ...[...report.byCategory]
      .sort((a, b) => b.revenuePaise - a.revenuePaise)
      .map((c) => `  ${c.category.padEnd(16)} ${money(c.revenuePaise).padStart(16)}  (${c.count} transactions)`),
    `(product, distribution center) totals: ${report.productCenterPairs} pairs`,
  );
  if (report.deadLetters.count > 0) {
    lines.push(
      `dead letters (the first ${report.deadLetters.first.length} of ${report.deadLetters.count}):`,
      ...report.deadLetters.first.map((d) => `  ${d.origin ?? "?"}: ${d.field ? `${d.field}: ` : ""}${d.reason}`),
    );
  }
  if (report.fraud !== undefined) lines.push(...formatFraudReport(report.fraud));
  return lines.join("\n");
}
