/**
 * The chart of `bench:workers`, as a self-contained SVG: records/s against worker threads, one line
 * per CPU load, with the single-threaded baselines as dashed horizontal lines.
 */

/** One line of the chart. */
export interface Series {
  label: string;
  points: { workers: number; recordsPerSecond: number }[];
}

/** A horizontal reference line. */
export interface Baseline {
  label: string;
  recordsPerSecond: number;
}

const WIDTH = 720;
const HEIGHT = 440;
const MARGIN = { left: 80, right: 240, top: 40, bottom: 50 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

/** The SVG text of the chart. */
export function workersChart(rows: number, series: Series[], baselines: Baseline[]): string {
  const workers = series.flatMap((s) => s.points.map((p) => p.workers));
  const maxWorkers = Math.max(...workers);
  const maxRate = Math.max(...series.flatMap((s) => s.points.map((p) => p.recordsPerSecond)), ...baselines.map((b) => b.recordsPerSecond)) * 1.1;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (w: number) => MARGIN.left + ((w - 1) / Math.max(1, maxWorkers - 1)) * plotW;
  const y = (r: number) => MARGIN.top + plotH - (r / maxRate) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="14">Batch ETL, ${rows.toLocaleString("en")} rows: records/s against worker threads</text>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="black"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="black"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">worker threads</text>`,
  ];
  for (const w of [...new Set(workers)]) parts.push(`<text x="${x(w)}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${w}</text>`);
  for (let i = 0; i <= 5; i++) {
    const rate = (maxRate / 5) * i;
    parts.push(`<text x="${MARGIN.left - 8}" y="${y(rate) + 4}" text-anchor="end">${Math.round(rate).toLocaleString("en")}</text>`);
    parts.push(`<line x1="${MARGIN.left}" y1="${y(rate)}" x2="${MARGIN.left + plotW}" y2="${y(rate)}" stroke="#eee"/>`);
  }
  const legend = (i: number, color: string, label: string, dashed: boolean) => {
    const ly = MARGIN.top + 10 + i * 20;
    parts.push(`<line x1="${WIDTH - MARGIN.right + 16}" y1="${ly}" x2="${WIDTH - MARGIN.right + 40}" y2="${ly}" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="5,4"' : ""}/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right + 46}" y="${ly + 4}">${escape(label)}</text>`);
  };
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${s.points.map((p) => `${x(p.workers)},${y(p.recordsPerSecond)}`).join(" ")}"/>`);
    for (const p of s.points) parts.push(`<circle cx="${x(p.workers)}" cy="${y(p.recordsPerSecond)}" r="3" fill="${color}"/>`);
    legend(i, color, s.label, false);
  });
  baselines.forEach((b, i) => {
    const color = COLORS[(series.length + i) % COLORS.length];
    parts.push(`<line x1="${MARGIN.left}" y1="${y(b.recordsPerSecond)}" x2="${MARGIN.left + plotW}" y2="${y(b.recordsPerSecond)}" stroke="${color}" stroke-dasharray="5,4"/>`);
    legend(series.length + i, color, b.label, true);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
