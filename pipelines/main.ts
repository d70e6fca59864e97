/**
 * `npm run pipeline -- [flags]`: runs this project's pipelines (`--help` lists the flags).
 *
 * With no flags: the self-contained streaming demo (demo.ts), or — on a machine without Google's
 * emulators — the batch pipeline over the same sample, after saying what is missing. Usage errors
 * exit 2; a failed job exits 1; Ctrl-C drains (a second one cancels).
 */
import * as path from "path";
import { directRunner } from "../runners/direct";
import { runBatch } from "./batch";
import { formatBatchReport } from "./report";
import { helpText, parseOptions, type PipelineOptions } from "./options";
import { runCommand } from "../cli/command_line";
import { runDrainingOnSignals } from "../cli/signals";
import { missingForDemo, runDemo, type DemoSummary } from "./demo";
import { streamingPipeline } from "./streaming";

const SAMPLE = ["fixtures/sample/transactions.csv", "fixtures/sample/transactions.jsonl"];

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(helpText());
    return;
  }
  options.inputs ??= SAMPLE.map((f) => path.relative(process.cwd(), path.join(__dirname, "..", f)));
  if (options.pipeline === "batch") return batch(options);
  if (!options.demo) return streaming(options);
  const missing = await missingForDemo();
  if (missing.length > 0) {
    say("The streaming demo needs Google's emulators, and this machine lacks some:");
    for (const line of missing) say(`  - ${line}`);
    say("Running the batch pipeline over the same sample instead.\n");
    return batch(options);
  }
  const live = process.stderr.isTTY ? (line: string) => process.stderr.write(`\r\x1b[2K${line}`) : undefined;
  const summary = await runDemo(options, say, live);
  if (live) process.stderr.write("\n");
  say(formatDemoSummary(summary, options));
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function batch(options: PipelineOptions): Promise<void> {
  const report = await runBatch(options.inputs!, directRunner({ bundleSize: options.bundleSize, workers: options.workers }), options.output, { cpuLoad: options.cpuLoad });
  say(formatBatchReport(report));
  say(`\nrows, aggregates and dead letters written as JSON lines under ${options.output}/`);
}

/** The streaming pipeline against the topic or subscription given (endpoints from the environment). */
async function streaming(options: PipelineOptions): Promise<void> {
  const result = await runDrainingOnSignals(
    directRunner({ bundleSize: options.bundleSize, workers: options.workers, stopAfter: options.stopAfter }),
    streamingPipeline({ ...options, createTables: true }),
  );
  const counters = await result.counters();
  say(`done: ${result.progress().sourceElements} messages read, ${counters.valid ?? 0} valid, ${counters.deadLetters ?? 0} dead letters (${result.drainReason() ?? "sources finished"})`);
}

function formatDemoSummary(s: DemoSummary, options: PipelineOptions): string {
  const money = (x: number) => x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const cbt = `cbt -project ${options.project} -instance ${options.instance}`;
  return [
    "",
    "summary",
    `  published       ${s.published.published} messages (${s.published.valid} valid rows, ${s.published.invalid} bad rows)`,
    `  valid           ${s.valid} → Bigtable ${options.table} (and ${options.aggregateTable}, per category per minute)`,
    `  dead letters    ${s.deadLetters} → ${describeTarget(options)}`,
    `  rows written    ${s.valid}`,
    `  throughput      ${Math.round(s.published.published / s.seconds)} messages/s end to end (${s.seconds.toFixed(1)} s)`,
    `  latency         p50 ${s.ackLatencyP50Ms} ms, p99 ${s.ackLatencyP99Ms} ms (publish → every row written and the message acknowledged)`,
    "",
    `three rows of ${options.table}, as \`cbt read\` shows them:`,
    s.sampleRows.trimEnd(),
    "",
    `revenue per category (sum of the per-minute aggregate${s.droppedLate ? `; ${s.droppedLate} transactions too late for it` : ""}):`,
    ...s.revenueByCategory.map((c) => `  ${c.category.padEnd(16)} ${money(c.revenue).padStart(16)}  (${c.count} transactions)`),
    "",
    "look further (the demo stopped its emulators; keep them up to look):",
    "  npm run emulators                      # in another terminal; then export the two variables it prints",
    "  npm run pipeline                       # reuses those emulators, which keep the rows",
    `  ${cbt} read ${options.table} count=3`,
    `  ${cbt} count ${options.table}`,
    `  npm run rows -- --table ${options.table} --limit 5`,
  ].join("\n");
}

function describeTarget(options: PipelineOptions): string {
  const t = options.deadLetter;
  return t.kind === "files" ? `files ${t.prefix}-*.jsonl` : t.kind === "pubsub" ? `Pub/Sub topic ${t.topic}` : `Bigtable table ${t.table}`;
}

runCommand(main, helpText, "pipeline");
