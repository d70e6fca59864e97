/** The batch ETL's report as text for a terminal (seed 000's report, plus dead letters). */
import type { BatchReport } from "./batch";
import { formatFraudReport } from "./fraud_report";

const money = (x: number) => x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Formats `report` for people; every number in it comes from the report. */
export function formatBatchReport(report: BatchReport): string {
  const records = report.valid + report.deadLetters.length;
  const lines = [
    `inputs: ${report.inputs.join(", ")}`,
    `records: ${records} read, ${report.valid} valid, ${report.deadLetters.length} dead letters`,
    `throughput: ${Math.round(records / report.seconds)} records/s (${report.seconds.toFixed(2)} s)`,
    "",
    "top 5 sales channels by revenue:",
    ...report.topChannels.map((c, i) => `  ${i + 1}. ${c.salesChannel.padEnd(14)} ${money(c.revenue).padStart(16)}`),
    "top 5 customer states by quantity:",
    ...report.topStates.map((s, i) => `  ${i + 1}. ${s.customerState.padEnd(24)} ${String(s.quantity).padStart(8)}`),
    "revenue by category:",
    ...[...report.byCategory]
      .sort((a, b) => b.revenue - a.revenue)
      .map((c) => `  ${c.category.padEnd(16)} ${money(c.revenue).padStart(16)}  (${c.count} transactions)`),
    `(product, distribution center) totals: ${report.byProductAndCenter.length} pairs`,
    "dead letters (first 5):",
    ...report.deadLetters.slice(0, 5).map((d) => `  ${d.origin ?? "?"}: ${d.field ? `${d.field}: ` : ""}${d.reason}`),
  ];
  if (report.fraud !== undefined) lines.push(...formatFraudReport(report.fraud));
  return lines.join("\n");
}
