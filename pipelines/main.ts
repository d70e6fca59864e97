/**
 * `npm run pipeline -- [flags]`: runs this project's pipelines (`--help` lists the flags).
 *
 * With no flags: the self-contained streaming demo (demo.ts), or — on a machine without Google's
 * emulators — the batch pipeline over the same sample, after saying what is missing. Usage errors
 * exit 2; a failed job exits 1; Ctrl-C drains (a second one cancels).
 */
import * as path from "path";
import { directRunner } from "../runners/direct";
import { BATCH_BUNDLE_SIZE, runBatch } from "./batch";
import { progress } from "../cli/progress";
import { configureLog, log } from "../cli/log";
import { formatBatchReport } from "./report";
import { helpText, parseOptions, type PipelineOptions } from "./options";
import { runCommand, UsageError } from "../cli/command_line";
import { runDrainingOnSignals } from "../cli/signals";
import { estimatedLines, InputError, resolveInput, type ResolvedInput } from "../io/files/input_format";
import { describeWritten } from "./written";
import { missingForDemo, runDemo } from "./demo";
import { formatDemoSummary } from "./summary";
import { STREAMING_BUNDLE_SIZE, streamingPipeline } from "./streaming";

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
  if (options.pipeline === "batch") return batch(options, inputs);
  if (!options.demo) return streaming(options);
  const missing = await missingForDemo();
  if (missing.length > 0) {
    say("The streaming demo needs Google's emulators, and this machine lacks some:");
    for (const line of missing) say(`  - ${line}`);
    say("Running the batch pipeline over the same sample instead.\n");
    return batch(options, inputs);
  }
  options.inputs = inputs.flatMap((input) => input.files);
  const summary = await runDemo(options);
  say(formatDemoSummary(summary, options));
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The inputs, each checked (exists, is text, has a known format); a bad one is the user's mistake. */
function resolveInputs(options: PipelineOptions): ResolvedInput[] {
  try {
    return options.inputs!.map((pattern) => resolveInput(pattern, options.format));
  } catch (error) {
    throw error instanceof InputError ? new UsageError(error.message) : error;
  }
}

async function batch(options: PipelineOptions, inputs: ResolvedInput[]): Promise<void> {
  const startedMs = Date.now();
  const lines = estimatedLines(inputs.flatMap((input) => input.files));
  const bar = progress("batch");
  const runner = directRunner({ bundleSize: options.bundleSize ?? BATCH_BUNDLE_SIZE });
  const logger = log().child({ job: "batch" });
  logger.info({ step: "batch", inputs: inputs.map((i) => i.pattern), output: options.output }, `batch ETL over ${inputs.map((i) => i.pattern).join(", ")}`);
  const report = await runBatch(inputs, runner, options.output, ({ records, seconds }) =>
    bar.update(records, lines === undefined ? undefined : Math.max(lines, records), `records, ${Math.round(records / seconds)}/s`),
  ).finally(() => bar.stop());
  logger.info({ step: "batch", valid: report.valid, deadLetters: report.deadLetters.count, seconds: Number(report.seconds.toFixed(2)) }, "batch ETL done");
  for (const d of report.deadLetters.first) logger.debug({ step: d.step, event_id: d.origin, field: d.field }, `dead letter: ${d.reason}`);
  say(formatBatchReport(report));
  say(`\n${describeWritten(options.output, startedMs)}`);
}

/** The streaming pipeline against the topic or subscription given (endpoints from the environment). */
async function streaming(options: PipelineOptions): Promise<void> {
  const result = await runDrainingOnSignals(
    directRunner({ bundleSize: options.bundleSize ?? STREAMING_BUNDLE_SIZE, stopAfter: options.stopAfter }),
    streamingPipeline({ ...options, createTables: true }),
  );
  const counters = await result.counters();
  say(`done: ${result.progress().sourceElements} messages read, ${counters.valid ?? 0} valid, ${counters.deadLetters ?? 0} dead letters (${result.drainReason() ?? "sources finished"})`);
}

runCommand(main, "pipeline");
