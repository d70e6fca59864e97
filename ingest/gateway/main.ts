/**
 * `npm run gateway -- --port 50051 …`: the ingestion gateway in the foreground, until SIGTERM or
 * Ctrl-C, which shut it down gracefully (see server.ts). Logs are JSON lines on stderr.
 */
import { readFileSync } from "fs";
import { parseFlags, runCommand, UsageError } from "../../cli/command_line";
import { jsonLogger, LOG_LEVELS, type LogLevel } from "./logger";
import { startGateway, type GatewayOptions } from "./server";

const HELP = `Usage: npm run gateway -- [flags]

The gRPC ingestion gateway (beam_ts_native.ingest.v1.EventIngestionService, ingest/gateway/event_ingestion.proto):
each accepted event is on its Pub/Sub topic before the reply says OK.

  --port N                 port to listen on; 0 = any free one                     (default: 50051)
  --host HOST              interface to listen on                                  (default: 127.0.0.1)
  --project ID             the Pub/Sub project                                     (default: local-project)
  --transactions-topic T   topic of transactions                                   (default: transacoes)
  --clients-topic T        topic of customers' profiles                            (default: clientes)
  --scores-topic T         topic of customers' risk scores                         (default: scores)
  --create-topics          create missing topics at start
  --max-in-flight N        events admitted and not yet settled by Pub/Sub; past it RESOURCE_EXHAUSTED  (default: 10000)
  --max-batch N            most events in one IngestBatch call                     (default: 1000)
  --max-message-bytes N    largest request accepted                                (default: 4194304)
  --max-stream-rejections N  rejected events after which a stream is failed        (default: 1000)
  --batch-max-messages N   Pub/Sub batch: send at this many messages…              (default: 1000)
  --batch-max-ms N         …or when its first message has waited this long         (default: 5)
  --publish-timeout-ms N   longest a publish may take, retries included; then UNAVAILABLE  (default: 10000)
  --grace-ms N             on SIGTERM, how long calls in flight may take to finish (default: 30000)
  --tls-cert FILE          PEM certificate chain: serve TLS (with --tls-key)
  --tls-key FILE           PEM private key of --tls-cert
  --token-file FILE        require 'authorization: Bearer <token>', the token being this file's content
  --log-level LEVEL        debug, info, warn or error                              (default: info)
  --verbose                print the stack of a failure (so does DEBUG=1)
  --help                   this text

Against the emulator, set PUBSUB_EMULATOR_HOST (npm run emulators prints it).
`;

function count(values: Record<string, unknown>, flag: string, min: number): number {
  const written = values[flag] as string;
  const n = Number(written);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${flag} must be a whole number ≥ ${min}, got '${written}'`);
  return n;
}

function readFlagFile(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read '${file}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** The gateway's options from the command line, or undefined for --help. */
export function gatewayOptions(argv: string[]): (GatewayOptions & { graceMs: number }) | undefined {
  const values = parseFlags(argv, {
    port: { type: "string", default: "50051" },
    host: { type: "string", default: "127.0.0.1" },
    project: { type: "string", default: "local-project" },
    "transactions-topic": { type: "string", default: "transacoes" },
    "clients-topic": { type: "string", default: "clientes" },
    "scores-topic": { type: "string", default: "scores" },
    "create-topics": { type: "boolean", default: false },
    "max-in-flight": { type: "string", default: "10000" },
    "max-batch": { type: "string", default: "1000" },
    "max-message-bytes": { type: "string", default: "4194304" },
    "max-stream-rejections": { type: "string", default: "1000" },
    "batch-max-messages": { type: "string", default: "1000" },
    "batch-max-ms": { type: "string", default: "5" },
    "publish-timeout-ms": { type: "string", default: "10000" },
    "grace-ms": { type: "string", default: "30000" },
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    "token-file": { type: "string" },
    "log-level": { type: "string", default: "info" },
    help: { type: "boolean", default: false },
  });
  if (values.help) return undefined;
  const port = count(values, "port", 0);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got '${values.port}'`);
  const level = values["log-level"] as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got '${level}'`);
  if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) throw new UsageError("--tls-cert and --tls-key go together");
  const tls = values["tls-cert"] === undefined ? undefined : { certChain: readFlagFile("tls-cert", values["tls-cert"]), privateKey: readFlagFile("tls-key", values["tls-key"]!) };
  let token: string | undefined;
  if (values["token-file"] !== undefined) {
    token = readFlagFile("token-file", values["token-file"]).toString("utf8").trim();
    if (token === "") throw new UsageError(`--token-file: '${values["token-file"]}' is empty`);
  }
  const maxInFlight = count(values, "max-in-flight", 1);
  const maxBatchEvents = count(values, "max-batch", 1);
  if (maxBatchEvents > maxInFlight) throw new UsageError(`--max-batch (${maxBatchEvents}) cannot exceed --max-in-flight (${maxInFlight}): such a batch could never be admitted`);
  return {
    host: values.host!,
    port,
    tls,
    token,
    maxMessageBytes: count(values, "max-message-bytes", 1024),
    maxBatchEvents,
    maxStreamRejections: count(values, "max-stream-rejections", 0),
    graceMs: count(values, "grace-ms", 0),
    log: jsonLogger(level),
    publisher: {
      projectId: values.project!,
      topics: { transaction: values["transactions-topic"]!, client: values["clients-topic"]!, score: values["scores-topic"]! },
      maxInFlight,
      batchMaxMessages: count(values, "batch-max-messages", 1),
      batchMaxMs: count(values, "batch-max-ms", 0),
      publishTimeoutMs: count(values, "publish-timeout-ms", 1),
      createTopics: values["create-topics"],
    },
  };
}

async function main(): Promise<void> {
  const options = gatewayOptions(process.argv.slice(2));
  if (options === undefined) {
    process.stdout.write(HELP);
    return;
  }
  const gateway = await startGateway(options);
  await new Promise<void>((resolve, reject) => {
    const stop = (signal: NodeJS.Signals) => {
      options.log("info", `${signal} received`);
      gateway.shutdown(options.graceMs).then(resolve, reject);
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}

runCommand(main, "gateway");
