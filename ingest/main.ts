/**
 * `npm run ingest -- --input FILE --topic T [--rate N] [--replay-speed X]`: publishes one Pub/Sub
 * message per row of the input files (see publisher.ts).
 */
import { parseFlags, runCommand, UsageError } from "../cli/command_line";
import { ingest, publishedFormat, type IngestCounts } from "./publisher";
import { newPubSub } from "../io/pubsub/client";
import { progress } from "../cli/progress";
import { estimatedLines, InputError, resolveInput, TEXT_FORMATS, type InputFormat } from "../io/files/input_format";

const HELP = `Usage: npm run ingest -- --input FILE [--input FILE …] --topic TOPIC [flags]

  --input FILE          a CSV (.csv) or JSON-lines (.jsonl) file or glob to publish, one message per row (repeatable)
  --format FORMAT       csv or jsonl: the format of every --input           (default: by extension)
  --topic TOPIC         the Pub/Sub topic                                       (required)
  --project ID          the project                                             (default: local-project)
  --rate N              messages per second; 0 = as fast as possible            (default: 0)
  --replay-speed X      pace by the rows' event times, X times real time        (default: off)
  --event-time WHICH    row: each row's own event time; now: the publish time (a live stream)  (default: row)
  --create-topic        create the topic if it does not exist
  --verbose             print the stack of a failure (so does DEBUG=1)
  --help                this text

Against the emulator, set PUBSUB_EMULATOR_HOST (npm run emulators prints it).
`;

function options(argv: string[]) {
  const values = parseFlags(argv, {
        input: { type: "string", multiple: true },
        format: { type: "string" },
        topic: { type: "string" },
        project: { type: "string", default: "local-project" },
        rate: { type: "string", default: "0" },
        "replay-speed": { type: "string" },
        "event-time": { type: "string", default: "row" },
        "create-topic": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
  });
  if (values.help) return undefined;
  if (!values.input?.length) throw new UsageError("--input is required");
  if (!values.topic) throw new UsageError("--topic is required");
  const rate = Number(values.rate);
  if (!(rate >= 0)) throw new UsageError(`--rate must be a number ≥ 0, got '${values.rate}'`);
  const replaySpeed = values["replay-speed"] === undefined ? undefined : Number(values["replay-speed"]);
  if (replaySpeed !== undefined && !(replaySpeed > 0)) throw new UsageError(`--replay-speed must be a number > 0, got '${values["replay-speed"]}'`);
  const eventTime = values["event-time"] as "row" | "now";
  if (eventTime !== "row" && eventTime !== "now") throw new UsageError(`--event-time must be row or now, got '${eventTime}'`);
  const format = values.format as InputFormat | undefined;
  if (format !== undefined && !TEXT_FORMATS.includes(format)) throw new UsageError(`--format must be ${TEXT_FORMATS.join(" or ")}, got '${format}'`);
  return { inputs: inputFiles(values.input, format), format, topic: values.topic, projectId: values.project!, rate, replaySpeed, createTopic: values["create-topic"], eventTime };
}

/** The files the patterns name, checked (exist, are text, a format the publisher sends); a bad one is a usage error. */
function inputFiles(patterns: string[], format: InputFormat | undefined): string[] {
  try {
    const files = patterns.flatMap((pattern) => resolveInput(pattern, format, TEXT_FORMATS).files);
    for (const file of files) publishedFormat(file, format);
    return files;
  } catch (error) {
    throw error instanceof InputError ? new UsageError(error.message) : error;
  }
}

/** gRPC's status for a malformed request, here a topic name Pub/Sub refuses. */
const INVALID_ARGUMENT = 3;

/**
 * Fails with a usage error before anything is published when the topic is missing (naming it and
 * the fix) or when there is nowhere to publish: no emulator variable and no Google credentials.
 */

async function checkTopic(topicName: string, projectId: string, create: boolean): Promise<void> {
  const pubsub = newPubSub(projectId);
  const where = process.env.PUBSUB_EMULATOR_HOST ? `the Pub/Sub emulator at ${process.env.PUBSUB_EMULATOR_HOST}` : "Google Cloud Pub/Sub";
  try {
    const [exists] = await pubsub.topic(topicName).exists();
    if (!exists && !create) {
      throw new UsageError(`topic '${topicName}' does not exist in project ${projectId} (${where}); create it with --create-topic, or name an existing one`);
    }
  } catch (error) {
    if (!process.env.PUBSUB_EMULATOR_HOST && /default credentials/i.test((error as Error).message)) {
      throw new UsageError(
        "PUBSUB_EMULATOR_HOST is not set and no Google credentials were found: for the emulator, run `npm run emulators` " +
          "in another shell and export the PUBSUB_EMULATOR_HOST line it prints; for Google Cloud, run `gcloud auth application-default login`",
      );
    }
    if ((error as { code?: number }).code === INVALID_ARGUMENT) {
      throw new UsageError(
        `--topic ${topicName}: Pub/Sub refuses this topic name (${(error as { details?: string }).details || (error as Error).message}); ` +
          "a name is 3–255 characters, starts with a letter, and holds letters, digits and - _ . ~ + %",
      );
    }
    throw error;
  } finally {
    // Without credentials, closing the never-connected client fails the same way; the error above says it.
    await pubsub.close().catch(() => undefined);
  }
}

function progressLine(c: IngestCounts): string {
  return `published ${c.published} (${c.valid} valid, ${c.invalid} bad rows) in ${c.seconds.toFixed(1)} s — ${Math.round(c.published / Math.max(c.seconds, 1e-3))} msg/s`;
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  if (opts === undefined) {
    process.stdout.write(HELP);
    return;
  }
  await checkTopic(opts.topic, opts.projectId, opts.createTopic);
  const bar = progress("publishing");
  const lines = estimatedLines(opts.inputs);
  // Ctrl-C stops publishing; what was published (every publish settled) is still said.
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const counts = await ingest({
    ...opts,
    signal: interrupted.signal,
    onProgress: (c) => bar.update(c.published, lines === undefined ? undefined : Math.max(lines, c.published), `${c.invalid} bad rows, ${Math.round(c.published / Math.max(c.seconds, 1e-3))} msg/s`),
  })
    .catch((error: unknown) => {
      bar.stop();
      throw error;
    })
    .finally(() => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    });
  // The total was estimated from the files' sizes: a publish that reached the end shows the true one.
  if (counts.complete) bar.complete();
  else bar.stop();
  if (!counts.complete) {
    process.stdout.write(`interrupted: ${progressLine(counts)} to ${opts.topic}; the rest of the input was not sent\n`);
    process.exitCode = 130;
    return;
  }
  // A signal after the last row was sent (while its publishes settled) lost nothing: the run is whole.
  const late = interrupted.signal.aborted ? " (the interrupt came after the last row was sent: nothing is missing)" : "";
  process.stdout.write(`${progressLine(counts)} to ${opts.topic}${late}\n`);
}

runCommand(main, "ingest");
