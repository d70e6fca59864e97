/**
 * `npm run pipeline -- [flags]`: runs this project's pipelines (`--help` lists the flags).
 *
 * With no flags: the self-contained streaming demo (demo.ts), or — on a machine without Google's
 * emulators — the batch pipeline over the same sample, after saying what is missing. Usage errors
 * exit 2; a failed job exits 1; Ctrl-C drains (a second one cancels).
 */
import * as fs from "fs";
import * as path from "path";
import { directRunner } from "../runners/direct";
import { BATCH_BUNDLE_SIZE, runBatch, type BatchProgress } from "./batch";
import { progress } from "../cli/progress";
import { configureLog, log } from "../cli/log";
import { formatBatchReport } from "./report";
import { helpText, parseOptions, type PipelineOptions } from "./options";
import { runCommand, UsageError } from "../cli/command_line";
import { checkOutputFolder } from "../cli/output_folder";
import { runDrainingOnSignals, stopOnSignals } from "../cli/signals";
import { estimatedLines, InputError, resolveInput, TEXT_FORMATS, type ResolvedInput } from "../io/files/input_format";
import { publishedFormat } from "../ingest/publisher";
import { describeWritten } from "./written";
import { missingForDemo, runDemo } from "./demo";
import { formatDemoSummary } from "./summary";
import { STREAMING_BUNDLE_SIZE, streamingPipeline } from "./streaming";
import { STREAMING_UI_OUTPUTS } from "./ui";
import { PortInUseError, startJobUi } from "../web/server";
import { writeReportHtml } from "../web/report_html";
import type { DirectPipelineResult } from "../runners/direct";
import { runOnDataflow } from "./dataflow";
import { DataflowFailure } from "../runners/dataflow/failure";
import { CommandFailure } from "../cli/command_line";

const SAMPLE = ["fixtures/sample/transactions.csv", "fixtures/sample/transactions.jsonl"];

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  configureLog(options.logFormat, options.logLevel);
  if (options.help) {
    process.stdout.write(helpText());
    return;
  }
  options.inputs ??= SAMPLE.map((f) => path.relative(process.cwd(), path.join(__dirname, "..", f)));
  const inputs = resolveInputs(options);
  if (options.dataflow) return dataflow({ ...options, inputs: inputs.flatMap((input) => input.files), dataflow: options.dataflow });
  if (options.pipeline === "batch") return batch(await checkedOutput(options), inputs);
  if (!options.demo) return streaming(options);
  const missing = await missingForDemo();
  if (missing.length > 0) {
    say("The streaming demo needs Google's emulators, and this machine lacks some:");
    for (const line of missing) say(`  - ${line}`);
    say("Running the batch pipeline over the same sample instead.\n");
    return batch(options, inputs);
  }
  options.inputs = inputs.flatMap((input) => input.files);
  userMistake(() => options.inputs!.forEach((file) => publishedFormat(file, options.format)));
  await withUi(options.ui ?? true, options, async (show, url) => {
    const summary = await runDemo(options, show);
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
  const ui = await startJobUi({ port: options.uiPort }).catch((error: unknown) => {
    if (!(error instanceof PortInUseError)) throw error;
    // A port the user chose is theirs to change; the default one, taken (another demo still up, any
    // program), is no reason to stop: any free port serves, and the URL printed next says which.
    if (options.uiPort !== undefined) throw new UsageError(error.message);
    say(`port ${error.port} is in use: the job page listens on a free port instead`);
    return startJobUi({ port: 0 });
  });
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

/** The inputs, each checked (exists, has a known format, is text if the format is); a bad one is the user's mistake. */
function resolveInputs(options: PipelineOptions): ResolvedInput[] {
  return userMistake(() => options.inputs!.map((pattern) => resolveInput(pattern, options.format)));
}

/**
 * Options whose local `--output` is a folder files can be written in (created if missing): a file
 * there, or a folder that cannot be made or written, would fail the job only after it had read
 * part of the input (deep in the sink), so it is refused before anything runs.
 */
async function checkedOutput(options: PipelineOptions): Promise<PipelineOptions> {
  await checkOutputFolder(`--output=${options.output}`, options.output, "the rows, aggregates and dead letters");
  return options;
}

/** `check()`, its {@link InputError} turned into the user's mistake (exit 2, one line). */
function userMistake<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw error instanceof InputError ? new UsageError(error.message) : error;
  }
}

async function batch(options: PipelineOptions, inputs: ResolvedInput[]): Promise<void> {
  const startedMs = Date.now();
  // Parquet's size says nothing of its rows: no total for the bar then.
  const lines = inputs.every((input) => TEXT_FORMATS.includes(input.format)) ? estimatedLines(inputs.flatMap((input) => input.files)) : undefined;
  const bar = progress("batch");
  const releaseSignals = stopOnSignals((signal) => {
    bar.stop();
    return `${signal}: the batch stopped part-way (the line above says how far); nothing under ${options.output}/ is final: run it again to write it whole`;
  });
  const runner = directRunner({ bundleSize: options.bundleSize ?? BATCH_BUNDLE_SIZE, workers: options.workers });
  const logger = log().child({ job: "batch" });
  logger.info({ step: "batch", inputs: inputs.map((i) => i.pattern), output: options.output }, `batch ETL over ${inputs.map((i) => i.pattern).join(", ")}`);
  const onProgress = ({ records, seconds }: BatchProgress) =>
    bar.update(records, lines === undefined ? undefined : Math.max(lines, records), `records, ${Math.round(records / seconds)}/s`);
  const report = await runBatch(inputs, runner, options.output, onProgress, { cpuLoad: options.cpuLoad, maxLineBytes: options.maxLineBytes }).finally(() => bar.stop());
  logger.info({ step: "batch", valid: report.valid, deadLetters: report.deadLetters.count, seconds: Number(report.seconds.toFixed(2)) }, "batch ETL done");
  for (const d of report.deadLetters.first) logger.debug({ step: d.step, event_id: d.origin, field: d.field }, `dead letter: ${d.reason}`);
  releaseSignals();
  say(formatBatchReport(report));
  say(`\n${describeWritten(options.output, startedMs)}`);
  if (report.valid + report.deadLetters.count > 0) say(`the report with charts: ${writeReportHtml(report, options.output)}`);
}

/** The streaming pipeline against the topic or subscription given (endpoints from the environment). */
async function streaming(options: PipelineOptions): Promise<void> {
  // A checkpoint folder that cannot be written would fail the job at its first checkpoint, messages read.
  if (options.checkpointDir !== undefined) await checkOutputFolder(`--checkpoint-dir=${options.checkpointDir}`, options.checkpointDir, "the job's checkpoints");
  const result = await withUi(options.ui ?? false, options, (show) =>
    runDrainingOnSignals(
      directRunner({ bundleSize: options.bundleSize ?? STREAMING_BUNDLE_SIZE, workers: options.workers, stopAfter: options.stopAfter, checkpointDir: options.checkpointDir }),
      streamingPipeline({ ...options, createTables: true }),
      show,
    ),
  );
  const counters = await result.counters();
  const duplicates = Object.values(result.progress().sources)[0]?.duplicates ?? 0;
  say(
    `done: ${result.progress().sourceElements} messages read, ${counters.valid ?? 0} valid, ${counters.deadLetters ?? 0} dead letters, ` +
      `${duplicates} duplicates dropped (${result.drainReason() ?? "sources finished"})`,
  );
}

/** Submits to Dataflow and watches the job; Ctrl-C stops watching (exit 130), the job goes on. */
async function dataflow(options: PipelineOptions & { dataflow: NonNullable<PipelineOptions["dataflow"]> }): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  try {
    const { end, job } = await runOnDataflow(options, { say, signal: stop.signal }).catch((error: unknown) => {
      throw error instanceof DataflowFailure ? new CommandFailure(error.message, error.exitCode) : error;
    });
    if (end === undefined) return;
    if (end.state === "WATCH_STOPPED") process.exitCode = 130;
    else if (!end.succeeded) throw new CommandFailure(`job ${job!.id} ended ${end.state}`);
  } finally {
    process.off("SIGINT", onSignal);
  }
}

runCommand(main, "pipeline");
