/**
 * `npm run ingest -- --input FILE --topic T [--rate N] [--replay-speed X]`: publishes one Pub/Sub
 * message per row of the input files (see publisher.ts).
 */
import { parseFlags, runCommand, UsageError } from "../cli/command_line";
import { ingest, type IngestCounts } from "./publisher";

const HELP = `Usage: npm run ingest -- --input FILE [--input FILE …] --topic TOPIC [flags]

  --input FILE          a CSV (.csv) or JSON-lines file to publish, one message per row (repeatable)
  --topic TOPIC         the Pub/Sub topic                                       (required)
  --project ID          the project                                             (default: local-project)
  --rate N              messages per second; 0 = as fast as possible            (default: 0)
  --replay-speed X      pace by the rows' event times, X times real time        (default: off)
  --event-time WHICH    row: each row's own event time; now: the publish time (a live stream)  (default: row)
  --create-topic        create the topic if it does not exist
  --help                this text

Against the emulator, set PUBSUB_EMULATOR_HOST (npm run emulators prints it).
`;

function options(argv: string[]) {
  const values = parseFlags(argv, {
        input: { type: "string", multiple: true },
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
  return { inputs: values.input, topic: values.topic, projectId: values.project!, rate, replaySpeed, createTopic: values["create-topic"], eventTime };
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
  const live = process.stderr.isTTY;
  const counts = await ingest({ ...opts, onProgress: live ? (c) => process.stderr.write(`\r${progressLine(c)}`) : undefined });
  if (live) process.stderr.write("\n");
  process.stdout.write(`${progressLine(counts)} to ${opts.topic}\n`);
}

runCommand(main, () => HELP, "ingest");
