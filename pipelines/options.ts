/**
 * The command line of `npm run pipeline`, in one typed place: Beam's flag names where Beam has one
 * (`--runner`, `--project`, `--region`, `--streaming`, `--tempLocation`, `--stagingLocation`), ours
 * for the rest. One table drives both the parser and `--help`, so they cannot disagree.
 */
import { availableParallelism } from "os";
import { flagTable, parseFlags, UsageError, VERBOSE_FLAG, wholeNumber, type FlagRow } from "../cli/command_line";
import type { DeadLetterTarget } from "../io/dead_letters";
import { INPUT_FORMATS, type InputFormat } from "../io/files/input_format";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "../cli/log";
import { DATAFLOW_FLAGS, parseDataflowOptions } from "./dataflow_options";
import type { DataflowOptions } from "../runners/dataflow/options";

export { UsageError } from "../cli/command_line";

const FLAGS: FlagRow[] = [
  { name: "runner", type: "string", default: "direct", value: "direct|dataflow", help: "the runner: ours, in this process, or Dataflow (see runners/dataflow/README.md)" },
  { name: "pipeline", type: "string", default: "streaming", value: "streaming|batch", help: "Pub/Sub → Bigtable, or files → report" },
  { name: "project", type: "string", default: "local-project", value: "ID", help: "Google Cloud project (required with --runner=dataflow)" },
  { name: "region", type: "string", default: "europe-west10", value: "REGION", help: "Dataflow region" },
  { name: "streaming", type: "boolean", help: "Beam's flag; implied by --pipeline=streaming" },
  { name: "tempLocation", type: "string", value: "gs://…", help: "Dataflow temp files (required with --runner=dataflow)" },
  { name: "stagingLocation", type: "string", value: "gs://…", help: "Dataflow staged artifacts", default: "<tempLocation>/staging" },
  { name: "input", type: "string", multiple: true, value: "FILE|GLOB|gs://…", help: "batch: input files, .csv, .parquet or JSON lines (repeatable); streaming demo: what the publisher sends", default: "the committed sample" },
  { name: "format", type: "string", value: INPUT_FORMATS.join("|"), help: "the format of every --input (default: by extension: .csv; .parquet; .jsonl, .ndjson, .json)" },
  { name: "source", type: "string", default: "publisher", value: "publisher|gateway", help: "streaming demo: the sample goes to Pub/Sub through the publisher, or through the gRPC gateway (clients, scores and transactions)" },
  { name: "topic", type: "string", value: "TOPIC", help: "streaming: read this topic (a subscription is made for the job)" },
  { name: "subscription", type: "string", value: "SUB", help: "streaming: read this subscription (unacknowledged messages survive a crash)" },
  { name: "instance", type: "string", default: "e-commerce-data", value: "ID", help: "Bigtable instance" },
  { name: "table", type: "string", default: "transacoes", value: "TABLE", help: "Bigtable table of transaction rows" },
  { name: "aggregate-table", type: "string", default: "receita_por_minuto", value: "TABLE", help: "Bigtable table of revenue per category per minute" },
  { name: "dead-letter", type: "string", default: "files:tmp/dead-letters", value: "files:PREFIX|pubsub:TOPIC|bigtable:TABLE", help: "where bad input goes" },
  { name: "output", type: "string", default: "tmp/batch", value: "DIR", help: "batch: where the rows, aggregates and dead letters are written (JSON lines)" },
  { name: "max-records", type: "string", value: "N", help: "streaming: drain after reading N messages" },
  { name: "idle-timeout", type: "string", value: "SECONDS", help: "streaming: drain once the subscription has been empty this long (stalled pulls do not count)" },
  { name: "max-duration", type: "string", value: "SECONDS", help: "streaming: drain after running this long" },
  { name: "checkpoint-dir", type: "string", value: "DIR", help: "streaming: checkpoint the minute windows here, so messages are acknowledged within a second instead of once their window's lateness has passed; after a crash, run again with the same DIR" },
  { name: "bundle-size", type: "string", default: "1000 streaming, 10000 batch", value: "N", help: "elements per bundle on the direct runner" },
  { name: "log-format", type: "string", default: "pretty", value: "json|pretty", help: "log lines (stderr) as JSON, or short lines for people" },
  { name: "log-level", type: "string", default: "info", value: LOG_LEVELS.join("|"), help: "the quietest log level shown" },
  VERBOSE_FLAG,
  { name: "workers", type: "string", default: `the machine's cores, ${availableParallelism()} here`, value: "N", help: "threads running the pipeline's steps on the direct runner (1: the job's own thread only)" },
  { name: "max-line-bytes", type: "string", default: "10485760 (10 MiB)", value: "N", help: "batch: a longer CSV / JSON line is a dead letter, and costs no more memory than this" },
  { name: "cpu-load", type: "string", default: "0", value: "N", help: "batch: N SHA-256 rounds per input record, to make per-record work heavy (seed 000's knob)" },
  { name: "ui", type: "boolean", help: "streaming: serve the job's web page and aggregates dashboard (on in the demo)" },
  { name: "no-ui", type: "boolean", help: "the demo without its web page" },
  { name: "ui-port", type: "string", default: "8074", value: "PORT", help: "where --ui listens, on 127.0.0.1 (0: any free port; the default, if taken, falls back to a free one)" },
  ...DATAFLOW_FLAGS,
  { name: "help", type: "boolean", help: "this text" },
];

/** The parsed command line. */
export interface PipelineOptions {
  help: boolean;
  runner: "direct" | "dataflow";
  pipeline: "streaming" | "batch";
  project: string;
  region: string;
  tempLocation?: string;
  stagingLocation?: string;
  inputs?: string[];
  /** The declared format of every input (`--format`); undefined: by extension. */
  format?: InputFormat;
  /** The demo's door into Pub/Sub. */
  source: "publisher" | "gateway";
  topic?: string;
  subscription?: string;
  instance: string;
  table: string;
  aggregateTable: string;
  deadLetter: DeadLetterTarget;
  output: string;
  stopAfter: { records?: number; idleMs?: number; durationMs?: number };
  /** Elements per bundle; undefined: each pipeline's own default. */
  bundleSize?: number;
  logFormat: LogFormat;
  logLevel: LogLevel;
  /** Worker threads on the direct runner (undefined: the runner's default, the machine's cores). */
  workers?: number;
  /** Streaming, direct runner: where the windows' state is checkpointed (`--checkpoint-dir`). */
  checkpointDir?: string;
  /** Batch: SHA-256 rounds per input record. */
  cpuLoad: number;
  /** Batch: the longest text line (undefined: the reader's default). */
  maxLineBytes?: number;
  /** True when nothing names an outside resource: run the self-contained demo. */
  demo: boolean;
  /** --ui / --no-ui; undefined when neither was given (then on in the demo, off otherwise). */
  ui?: boolean;
  /** --ui-port; undefined when not given (then the UI's default, or any free port if that one is taken). */
  uiPort?: number;
  /** With `--runner=dataflow`: the validated Dataflow settings. */
  dataflow?: DataflowOptions;
}


/** `--help`'s text, from the flag table. */
export function helpText(): string {
  return `Usage: npm run pipeline -- [flags]

With no flags: the self-contained demo — Google's emulators start, the publisher sends the
committed sample to Pub/Sub, the streaming pipeline writes Bigtable until every message is handled,
then drains and prints a summary. Where the emulators are missing, the batch pipeline runs instead.

${flagTable(FLAGS)}
`;
}

/** Parses `argv`; throws UsageError naming the flag and the reason. */
export function parseOptions(argv: string[]): PipelineOptions {
  const values = parseFlags(
    argv,
    Object.fromEntries(FLAGS.map((f) => [f.name, { type: f.type, multiple: f.multiple ?? false }])),
  ) as Record<string, string | boolean | string[] | undefined>;
  const text = (name: string, fallback?: string) => (values[name] as string | undefined) ?? fallback;
  const runner = text("runner", "direct");
  if (runner !== "direct" && runner !== "dataflow") throw new UsageError(`--runner=${runner}: expected direct or dataflow`);
  const pipeline = text("pipeline", "streaming");
  if (pipeline !== "streaming" && pipeline !== "batch") throw new UsageError(`--pipeline=${pipeline}: expected streaming or batch`);
  if (values.topic !== undefined && values.subscription !== undefined) throw new UsageError("give --topic or --subscription, not both");
  const source = text("source", "publisher");
  if (source !== "publisher" && source !== "gateway") throw new UsageError(`--source=${source}: expected publisher or gateway`);
  if (values.ui === true && values["no-ui"] === true) throw new UsageError("give --ui or --no-ui, not both");
  if (values.ui === true && pipeline === "batch") throw new UsageError("--ui shows a streaming job; the batch pipeline writes report.html beside its outputs instead");
  const dataflowOnly = DATAFLOW_FLAGS.map((f) => f.name).filter((name) => values[name] !== undefined);
  if (runner === "direct" && dataflowOnly.length > 0) throw new UsageError(`--${dataflowOnly[0]} is a Dataflow flag: add --runner=dataflow, or leave it out`);
  return {
    help: values.help === true,
    runner,
    pipeline,
    project: text("project", "local-project")!,
    region: text("region", "europe-west10")!,
    tempLocation: text("tempLocation"),
    stagingLocation: text("stagingLocation"),
    inputs: values.input as string[] | undefined,
    format: inputFormat(text("format")),
    source,
    topic: text("topic"),
    subscription: text("subscription"),
    instance: text("instance", "e-commerce-data")!,
    table: text("table", "transacoes")!,
    aggregateTable: text("aggregate-table", "receita_por_minuto")!,
    deadLetter: deadLetterTarget(text("dead-letter", "files:tmp/dead-letters")!, text("instance", "e-commerce-data")!),
    output: text("output", "tmp/batch")!,
    stopAfter: {
      records: count("max-records", text("max-records")),
      idleMs: seconds("idle-timeout", text("idle-timeout")),
      durationMs: seconds("max-duration", text("max-duration")),
    },
    bundleSize: count("bundle-size", text("bundle-size")),
    logFormat: oneOf("log-format", text("log-format", "pretty")!, ["json", "pretty"] as const),
    logLevel: oneOf("log-level", text("log-level", "info")!, LOG_LEVELS),
    workers: count("workers", text("workers")),
    checkpointDir: checkpointDir(text("checkpoint-dir"), { runner, pipeline, demo: values.topic === undefined && values.subscription === undefined }),
    cpuLoad: text("cpu-load") === undefined ? 0 : count("cpu-load", text("cpu-load"), 0)!,
    maxLineBytes: count("max-line-bytes", text("max-line-bytes")),
    demo: values.topic === undefined && values.subscription === undefined,
    ui: values.ui === true ? true : values["no-ui"] === true ? false : undefined,
    uiPort: text("ui-port") === undefined ? undefined : port("ui-port", text("ui-port")!),
    dataflow: runner === "dataflow" ? parseDataflowOptions(values) : undefined,
  };
}

/** `--checkpoint-dir`: a folder, and only where a job has windows to checkpoint (a streaming job on our runner). */
function checkpointDir(value: string | undefined, job: { runner: string; pipeline: string; demo: boolean }): string | undefined {
  if (value === undefined) return undefined;
  if (value === "") throw new UsageError("--checkpoint-dir needs a folder, got ''");
  if (job.pipeline === "batch") throw new UsageError("--checkpoint-dir checkpoints a streaming job's windows; the batch pipeline has none: leave it out");
  if (job.runner === "dataflow") throw new UsageError("--checkpoint-dir is the direct runner's: Dataflow keeps a job's state itself, leave it out");
  if (job.demo) throw new UsageError("--checkpoint-dir checkpoints a job reading --topic or --subscription; the demo starts afresh each time: add one of them, or leave it out");
  return value;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag}=${value}: expected ${allowed.join(", ")}`);
  return value as T;
}

function inputFormat(value: string | undefined): InputFormat | undefined {
  if (value === undefined) return undefined;
  if (!(INPUT_FORMATS as readonly string[]).includes(value)) throw new UsageError(`--format=${value}: expected ${INPUT_FORMATS.join(" or ")}`);
  return value as InputFormat;
}

function count(flag: string, value: string | undefined, least = 1): number | undefined {
  return value === undefined ? undefined : wholeNumber(flag, value, least);
}

function port(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${flag} must be a port number from 0 to 65535, got '${value}'`);
  return n;
}

function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0)) throw new UsageError(`--${flag} must be a number of seconds > 0, got '${value}'`);
  return n * 1000;
}

function deadLetterTarget(value: string, instanceId: string): DeadLetterTarget {
  const [kind, ...rest] = value.split(":");
  const target = rest.join(":");
  if (!target) throw new UsageError(`--dead-letter=${value}: expected files:PREFIX, pubsub:TOPIC or bigtable:TABLE`);
  if (kind === "files") return { kind, prefix: target };
  if (kind === "pubsub") return { kind, topic: target };
  if (kind === "bigtable") return { kind, table: target, instanceId, createTable: true };
  throw new UsageError(`--dead-letter=${value}: unknown kind '${kind}'; expected files, pubsub or bigtable`);
}
