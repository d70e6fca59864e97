/**
 * The batch ETL's report as one self-contained HTML file (`report.html` beside its outputs): seed
 * 000's report — throughput, top-5 sales channels, top-5 customer states, (product, distribution
 * center) totals, counters — with bar charts drawn as inline SVG, so it reads offline, in any
 * browser, with nothing else to load. Every number comes from the {@link BatchReport}.
 */
import * as fs from "fs";
import * as path from "path";
import type { BatchReport } from "../pipelines/batch";

/** The report's file name in the output folder. */
export const REPORT_FILE = "report.html";
/** (product, center) pairs charted; the full list follows in a table. */
const CHARTED_PAIRS = 10;
const DEAD_LETTERS_LISTED = 20;

const rupees = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** Writes `report` as `dir`/report.html; returns the file's path. */
export function writeReportHtml(report: BatchReport, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, REPORT_FILE);
  fs.writeFileSync(file, reportHtml(report));
  return file;
}

/** The report as an HTML document. */
export function reportHtml(report: BatchReport): string {
  const records = report.valid + report.deadLetters.length;
  const pairs = [...report.byProductAndCenter].sort((a, b) => b.revenue - a.revenue);
  const categories = [...report.byCategory].sort((a, b) => b.revenue - a.revenue);
  const methods = [...report.byPaymentMethod].sort((a, b) => b.revenue - a.revenue);
  const figure = (id: string, label: string, value: string) => `<div class="figure" id="${id}"><span>${label}</span><b>${value}</b></div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Batch ETL report — beam-ts-native</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Batch ETL report</h1>
<p class="muted">inputs: ${report.inputs.map((i) => `<code>${escape(i)}</code>`).join(", ")}</p>
<section class="figures">
${figure("records", "records read", whole.format(records))}
${figure("valid", "valid", whole.format(report.valid))}
${figure("dead-letters", "dead letters", whole.format(report.deadLetters.length))}
${figure("throughput", "throughput", `${whole.format(Math.round(records / report.seconds))} records/s`)}
${figure("seconds", "time", `${report.seconds.toFixed(2)} s`)}
</section>
<section><h2>Top 5 sales channels by revenue (₹)</h2>
${bars("top-channels", report.topChannels.map((c) => ({ label: c.salesChannel, value: c.revenue, text: rupees.format(c.revenue) })))}
</section>
<section><h2>Top 5 customer states by quantity</h2>
${bars("top-states", report.topStates.map((s) => ({ label: s.customerState, value: s.quantity, text: whole.format(s.quantity) })))}
</section>
<section><h2>Revenue by category (₹)</h2>
${bars("by-category", categories.map((c) => ({ label: c.category, value: c.revenue, text: `${rupees.format(c.revenue)} (${whole.format(c.count)})` })))}
</section>
<section><h2>Revenue by payment method (₹)</h2>
${bars("by-payment-method", methods.map((m) => ({ label: m.paymentMethod, value: m.revenue, text: `${rupees.format(m.revenue)} (${whole.format(m.count)})` })))}
</section>
<section><h2>(product, distribution center) totals: <span id="pairs">${whole.format(pairs.length)}</span> pairs</h2>
<p class="muted">the ${Math.min(CHARTED_PAIRS, pairs.length)} largest by revenue (₹)</p>
${bars("top-pairs", pairs.slice(0, CHARTED_PAIRS).map((p) => ({ label: `${p.productId} · ${p.distributionCenter}`, value: p.revenue, text: rupees.format(p.revenue) })))}
<details><summary>every pair</summary>
<table id="product-center"><thead><tr><th>product</th><th>distribution center</th><th class="num">revenue (₹)</th><th class="num">quantity</th></tr></thead><tbody>
${pairs.map((p) => `<tr><td>${escape(p.productId)}</td><td>${escape(p.distributionCenter)}</td><td class="num">${rupees.format(p.revenue)}</td><td class="num">${whole.format(p.quantity)}</td></tr>`).join("\n")}
</tbody></table></details>
</section>
<section><h2>Dead letters (first ${Math.min(DEAD_LETTERS_LISTED, report.deadLetters.length)} of ${whole.format(report.deadLetters.length)})</h2>
<table id="dead-letter-list"><thead><tr><th>origin</th><th>step</th><th>field</th><th>reason</th></tr></thead><tbody>
${report.deadLetters
  .slice(0, DEAD_LETTERS_LISTED)
  .map((d) => `<tr><td><code>${escape(d.origin ?? "?")}</code></td><td>${escape(d.step)}</td><td>${escape(d.field ?? "")}</td><td>${escape(d.reason)}</td></tr>`)
  .join("\n")}
</tbody></table>
</section>
</body>
</html>
`;
}

/** A horizontal bar chart as inline SVG: one bar per row, scaled to the largest value. */
function bars(id: string, rows: { label: string; value: number; text: string }[]): string {
  const rowHeight = 26;
  const labelWidth = 280;
  const barWidth = 380;
  const textWidth = 190;
  const max = Math.max(1e-9, ...rows.map((r) => r.value));
  const height = rows.length * rowHeight + 4;
  const body = rows
    .map((r, i) => {
      const y = i * rowHeight + 2;
      const w = Math.max(1, (barWidth * r.value) / max);
      return (
        `<g class="bar" data-label="${escape(r.label)}" data-value="${r.value}">` +
        `<text x="0" y="${y + 17}">${i + 1}. ${escape(r.label)}</text>` +
        `<rect x="${labelWidth}" y="${y + 5}" width="${w.toFixed(1)}" height="16" rx="3"></rect>` +
        `<text class="value" x="${labelWidth + barWidth + textWidth}" y="${y + 17}" text-anchor="end">${escape(r.text)}</text></g>`
      );
    })
    .join("");
  const width = labelWidth + barWidth + textWidth;
  return `<svg id="${id}" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${body}</svg>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; margin: 24px auto; max-width: 960px; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 16px; margin: 0 0 8px; }
section { border: 1px solid #d0d5dd; border-radius: 8px; padding: 12px 14px; margin: 14px 0; }
.muted { color: #667085; }
.figures { display: flex; gap: 24px; flex-wrap: wrap; }
.figure span { display: block; color: #667085; font-size: 12px; } .figure b { font-size: 22px; }
.chart text { font-size: 13px; fill: #1d2330; font-variant-numeric: tabular-nums; }
.chart rect { fill: #5b8def; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eaecf0; vertical-align: top; }
th { color: #667085; font-weight: 500; font-size: 12px; } .num { text-align: right; }
code { font-size: 12px; }
`;
