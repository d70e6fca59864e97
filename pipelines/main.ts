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
import { STREAMING_UI_OUTPUTS } from "./ui";
import { startJobUi } from "../web/server";
import { writeReportHtml } from "../web/report_html";
import type { DirectPipelineResult } from "../runners/direct";
import { runOnDataflow } from "./dataflow";
import { DataflowFailure } from "../runners/dataflow/failure";
import { CommandFailure } from "../cli/command_line";

const SAMPLE = ["fixtures/sample/transactions.csv", "fixtures/sample/transactions.jsonl"];

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(helpText());
    return;
  }
  options.inputs ??= SAMPLE.map((f) => path.relative(process.cwd(), path.join(__dirname, "..", f)));
  if (options.dataflow) return dataflow({ ...options, dataflow: options.dataflow });
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
  await withUi(options.ui ?? true, options, async (show, url) => {
    const summary = await runDemo(options, say, live, show);
    if (live) process.stderr.write("\n");
    say(formatDemoSummary(summary, options));
    // At a terminal the page outlives the demo's few seconds, for a look at the finished job.
    if (url !== undefined && process.stdout.isTTY) {
      say(`\nthe job page stays up at ${url} — press Ctrl-C to leave`);
      await new Promise((resolve) => process.once("SIGINT", resolve));
    }
  });
}

/**
 * Runs `job`, with the web UI when `enabled`: its URL is printed first, `show` hands it the job
 * once started, and it stops when `job` ends.
 */
async function withUi<T>(
  enabled: boolean,
  options: PipelineOptions,
  job: (show: ((result: DirectPipelineResult) => void) | undefined, url: string | undefined) => Promise<T>,
): Promise<T> {
  if (!enabled) return job(undefined, undefined);
  const ui = await startJobUi({ port: options.uiPort });
  say(`job page: ${ui.url}   aggregates dashboard: ${ui.url}dashboard`);
  try {
    return await job((result) => ui.show(result, STREAMING_UI_OUTPUTS), ui.url);
  } finally {
    await ui.close();
  }
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function batch(options: PipelineOptions): Promise<void> {
  const report = await runBatch(options.inputs!, directRunner({ bundleSize: options.bundleSize }), options.output);
  say(formatBatchReport(report));
  say(`\nrows, aggregates and dead letters written as JSON lines under ${options.output}/`);
  say(`the report with charts: ${writeReportHtml(report, options.output)}`);
}

/** The streaming pipeline against the topic or subscription given (endpoints from the environment). */
async function streaming(options: PipelineOptions): Promise<void> {
  const result = await withUi(options.ui ?? false, options, (show) =>
    runDrainingOnSignals(directRunner({ bundleSize: options.bundleSize, stopAfter: options.stopAfter }), streamingPipeline({ ...options, createTables: true }), show),
  );
  const counters = await result.counters();
  say(`done: ${result.progress().sourceElements} messages read, ${counters.valid ?? 0} valid, ${counters.deadLetters ?? 0} dead letters (${result.drainReason() ?? "sources finished"})`);
}

/** Submits to Dataflow and watches the job; Ctrl-C stops watching (exit 130), the job goes on. */
async function dataflow(options: PipelineOptions & { dataflow: NonNullable<PipelineOptions["dataflow"]> }): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  try {
    const { end, job } = await runOnDataflow(options, { say, signal: stop.signal }).catch((error: unknown) => {
      throw error instanceof DataflowFailure ? new CommandFailure(error.message) : error;
    });
    if (end === undefined) return;
    if (end.state === "WATCH_STOPPED") process.exitCode = 130;
    else if (!end.succeeded) throw new CommandFailure(`job ${job!.id} ended ${end.state}`);
  } finally {
    process.off("SIGINT", onSignal);
  }
}

function formatDemoSummary(s: DemoSummary, options: PipelineOptions): string {
  const money = (x: number) => x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const cbt = `cbt -project ${options.project} -instance ${options.instance}`;
  return [
    "",
    "summary",
    s.gateway
      ? `  gateway         ${s.gateway.accepted} events accepted (profiles, scores, transactions), ${s.gateway.refused} refused at the door, ${s.gateway.notSendable} rows not sendable`
      : `  published       ${s.published.published} messages (${s.published.valid} valid rows, ${s.published.invalid} bad rows)`,
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
    ...(s.gateway?.sampleEventId ? [`  npm run event -- --event-id ${s.gateway.sampleEventId}   # where that event went`] : []),
  ].join("\n");
}

function describeTarget(options: PipelineOptions): string {
  const t = options.deadLetter;
  return t.kind === "files" ? `files ${t.prefix}-*.jsonl` : t.kind === "pubsub" ? `Pub/Sub topic ${t.topic}` : `Bigtable table ${t.table}`;
}

runCommand(main, helpText, "pipeline");
