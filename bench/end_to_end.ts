/**
 * `npm run bench:e2e [-- --messages N]`: the streaming pipeline (Pub/Sub → our runner → Bigtable) on
 * Google's emulators against the emulators' own ceiling, measured in the same run on the same data.
 *
 * 1. N purchases are generated (fixtures' row generator, CSV) and made into the very messages the
 *    ingest publisher sends (ingest/messages.ts);
 * 2. the ceiling, with the official clients used directly, one stage at a time: (a) publish the N
 *    messages, (b) pull + acknowledge them with sequential unary pulls asking for 1000 (what our
 *    source does; concurrent pulls make the emulator thrash; the emulator answers at most 100 a
 *    pull), (c) insert the N transaction rows in 1000-row batches, 4 in flight, with the sink's own
 *    batch writer. The pipeline cannot beat its slowest stage: ceiling = the minimum of the three;
 * 3. the pipeline on our direct runner, reading a fresh subscription while the ingest publisher
 *    publishes the same N rows at full speed with event time "now": records/s from the first record
 *    read to the end of the job (drain included), publish → written + acknowledged latency (the
 *    source's own histogram), peak RSS while it runs; then the table must hold exactly N rows.
 *
 * A pipeline that stops moving (no read, no acknowledgement for 30 s) is cancelled and reported in
 * the JSON line (`pipeline_error`, its figures null; exit status 1) rather than waited on. The
 * emulators are started for the run and stopped at its end, also on failure. Prints one JSON line.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import "apache-beam";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { PubSub, v1 } from "@google-cloud/pubsub";
import { startEmulators } from "../emulators";
import { writeTransactions } from "../fixtures/generate";
import { ingest } from "../ingest/publisher";
import { rowMessage, type RowMessage } from "../ingest/messages";
import { bigtableBatchWriter, closeBigtableClients, readRows } from "../io/bigtable";
import { ensureTable } from "../io/bigtable_admin";
import { bigtableClient } from "../io/bigtable_clients";
import { pubsubClientOptions } from "../io/pubsub_client";
import { forEachLineChunk } from "../io/text_files";
import { streamingPipeline, type StreamingJob } from "../pipelines/streaming";
import { directRunner, type DirectPipelineResult } from "../runners/direct";
import { transactionRow, TRANSACTION_FAMILY, type BigtableRow } from "../transforms/bigtable_row";
import { parseCsvLine } from "../transforms/parse_csv";

const PROJECT = "local-project";
const INSTANCE = "e-commerce-data";
const SEED = 42;
/** Messages per pull and rows per MutateRows: what the source and the sink use. */
const BATCH = 1000;
/** MutateRows calls in flight: the sink's default. */
const WRITES_IN_FLIGHT = 4;
/** Bound on each stage: a stage that stops moving fails the bench instead of hanging it. */
const STAGE_TIMEOUT_MS = 10 * 60_000;
/** No new read nor acknowledgement for this long: the pipeline is stuck (it fails the bench). */
const STALL_MS = 30_000;
/** Consecutive empty pulls (2 s each) after which stage (b) gives up: the messages are not coming. */
const MAX_EMPTY_PULLS = 5;

/** The figures of one run (the JSON line); the pipeline's are null when it failed, and `pipeline_error` says why. */
interface Report {
  messages: number;
  publish_msgs_per_s: number;
  pull_ack_msgs_per_s: number;
  bigtable_rows_per_s: number;
  ceiling_per_s: number;
  pipeline_records_per_s: number | null;
  pct_of_ceiling: number | null;
  latency_p50_ms: number | null;
  latency_p99_ms: number | null;
  rss_mb: number | null;
  pipeline_error?: string;
}

/** What one pipeline run measured. */
interface PipelineRun {
  recordsPerS: number;
  startRssMb: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  peakRssMb: number;
}

function log(line: string): void {
  process.stderr.write(line + "\n");
}

/** Every message of `file` as the ingest publisher would send it (event time of the row). */
async function messagesOf(file: string): Promise<RowMessage[]> {
  const messages: RowMessage[] = [];
  await forEachLineChunk(file, (lines) => {
    for (const line of lines) {
      const message = rowMessage(line, "csv");
      if (message !== undefined) messages.push(message);
    }
  });
  return messages;
}

/** The transaction row of every line of `file` but the header: what the pipeline writes. */
async function transactionRowsOf(file: string): Promise<BigtableRow[]> {
  const rows: BigtableRow[] = [];
  await forEachLineChunk(file, (lines) => {
    for (const { line, lineNumber } of lines) {
      if (lineNumber === 1 || line === "") continue;
      const parsed = parseCsvLine(line);
      if (!("ok" in parsed)) throw new Error(`${file}:${lineNumber}: the generator wrote a row the parser rejects: ${JSON.stringify(parsed)}`);
      rows.push(transactionRow(parsed.ok));
    }
  });
  return rows;
}

/** Creates `topic` and `subscription` on it (ack deadline 60 s). */
async function createTopicAndSubscription(topic: string, subscription: string): Promise<void> {
  const pubsub = new PubSub({ projectId: PROJECT });
  try {
    const [created] = await pubsub.createTopic(topic);
    await created.createSubscription(subscription, { ackDeadlineSeconds: 60 });
  } finally {
    await pubsub.close();
  }
}

/** Stage (a): publishes `messages` with the official client's batching (1000 a request); msg/s. */
async function measurePublish(topicName: string, messages: RowMessage[]): Promise<number> {
  const pubsub = new PubSub({ projectId: PROJECT });
  try {
    const topic = pubsub.topic(topicName, { batching: { maxMessages: BATCH, maxMilliseconds: 10 } });
    const started = performance.now();
    await withTimeout(
      Promise.all(messages.map((m) => topic.publishMessage({ data: m.data, attributes: m.attributes }))),
      "publishing",
    );
    return messages.length / ((performance.now() - started) / 1000);
  } finally {
    await pubsub.close();
  }
}

/** Stage (b): sequential unary pulls of 1000, each followed by one acknowledge, until `count` are in; msg/s. */
async function measurePullAck(subscriptionName: string, count: number): Promise<number> {
  const client = new v1.SubscriberClient(pubsubClientOptions(PROJECT) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
  const subscription = `projects/${PROJECT}/subscriptions/${subscriptionName}`;
  try {
    const seen = new Set<string>();
    let emptyPulls = 0;
    const started = performance.now();
    while (seen.size < count) {
      const [response] = await client.pull({ subscription, maxMessages: BATCH }, { timeout: 2_000 }).catch((error: { code?: number }) => {
        // DEADLINE_EXCEEDED is the emulator's answer to a pull on an empty subscription.
        if (error.code === 4) return [{ receivedMessages: [] }];
        throw error;
      });
      const received = response.receivedMessages ?? [];
      if (received.length === 0) {
        if (++emptyPulls >= MAX_EMPTY_PULLS) throw new Error(`pull+ack: only ${seen.size} of ${count} messages arrived`);
        continue;
      }
      emptyPulls = 0;
      for (const m of received) seen.add(m.message!.messageId!);
      await client.acknowledge({ subscription, ackIds: received.map((m) => m.ackId!) });
    }
    return count / ((performance.now() - started) / 1000);
  } finally {
    await client.close();
  }
}

/** Stage (c): inserts `rows` in 1000-row batches, 4 MutateRows in flight, with the sink's batch writer; rows/s. */
async function measureBigtableInsert(tableId: string, rows: BigtableRow[]): Promise<number> {
  await ensureTable(bigtableClient(PROJECT), INSTANCE, tableId, [TRANSACTION_FAMILY]);
  const write = bigtableBatchWriter({ projectId: PROJECT, instanceId: INSTANCE, tableId });
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch: Promise<void> = write(rows.slice(i, i + BATCH)).finally(() => inFlight.delete(batch));
    inFlight.add(batch);
    // A rejected write rejects the race, and with it the stage.
    if (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
  }
  await withTimeout(Promise.all(inFlight), "the Bigtable insert");
  return rows.length / ((performance.now() - started) / 1000);
}

/**
 * Stages (a), (b) and (c) on the rows of `file`. Its own function so that the messages and rows it
 * holds can be collected before the pipeline runs (the pipeline's RSS is measured).
 */
async function measureCeiling(file: string, count: number): Promise<{ publish: number; pullAck: number; insert: number }> {
  const messages = await messagesOf(file);
  const rows = await transactionRowsOf(file);
  if (messages.length !== count || rows.length !== count) throw new Error(`${file} holds ${messages.length} messages and ${rows.length} rows, expected ${count}`);
  await createTopicAndSubscription("bench-ceiling", "bench-ceiling-pull");
  const publish = await measurePublish("bench-ceiling", messages);
  log(`(a) publish: ${Math.round(publish)} msg/s`);
  const pullAck = await measurePullAck("bench-ceiling-pull", count);
  log(`(b) pull + ack: ${Math.round(pullAck)} msg/s`);
  const insert = await measureBigtableInsert("bench_ceiling", rows);
  log(`(c) Bigtable insert: ${Math.round(insert)} rows/s`);
  return { publish, pullAck, insert };
}

/**
 * Stage (d): the streaming pipeline reads `subscription` while the ingest publisher sends `file` to
 * `topic` at full speed, and drains after `count` records.
 */
async function measurePipeline(file: string, topic: string, subscription: string, count: number, workDir: string): Promise<PipelineRun> {
  const job: StreamingJob = {
    subscription,
    project: PROJECT,
    instance: INSTANCE,
    table: "transacoes",
    aggregateTable: "receita_por_minuto",
    deadLetter: { kind: "files", prefix: path.join(workDir, "dead-letters") },
    createTables: true,
  };
  const result = (await directRunner({ stopAfter: { records: count } }).runAsync(streamingPipeline(job))) as DirectPipelineResult;
  let firstReadAt: number | undefined;
  const startRss = process.memoryUsage.rss();
  let peakRss = startRss;
  // A fine tick dates the first record read (the clock starts there), then stops; memory is sampled
  // more coarsely (reading it costs a system call, which a 5 ms tick made 2% of the run).
  const firstRead = setInterval(() => {
    if (result.progress().sourceElements === 0) return;
    firstReadAt = performance.now();
    clearInterval(firstRead);
  }, 5);
  const memory = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
  const watch = watchProgress(result);
  try {
    const published = ingest({ inputs: [file], topic, projectId: PROJECT, eventTime: "now" });
    // Awaited below once the job ends; a failure of the job first must not leave it unhandled.
    published.catch(() => undefined);
    const state = await Promise.race([result.waitUntilFinish(), watch.stalled]).catch(async (error: Error) => {
      // Cancelled for stalling: let it hand its messages back and close before the emulators stop.
      await result.waitUntilFinish(10_000);
      throw error;
    });
    const endedAt = performance.now();
    if (state !== JobState_Enum.DONE) throw result.error() ?? new Error(`the pipeline ended ${JobState_Enum[state]}`);
    const counts = await published;
    if (counts.published !== count) throw new Error(`the publisher sent ${counts.published} messages, expected ${count}`);
    const progress = result.progress();
    const source = Object.values(progress.sources)[0] ?? {};
    if (source.acknowledged !== count) throw new Error(`the pipeline acknowledged ${source.acknowledged} of ${count} messages`);
    return {
      recordsPerS: progress.sourceElements / ((endedAt - (firstReadAt ?? endedAt)) / 1000),
      latencyP50Ms: source.ackLatencyP50Ms,
      latencyP99Ms: source.ackLatencyP99Ms,
      startRssMb: startRss / 2 ** 20,
      peakRssMb: peakRss / 2 ** 20,
    };
  } finally {
    clearInterval(firstRead);
    clearInterval(memory);
    watch.stop();
  }
}

/**
 * Prints the job's progress every 2 s (stderr), and rejects `stalled` (cancelling the job) when
 * neither reads nor acknowledgements have moved for {@link STALL_MS}: a stuck pipeline is reported
 * with where it stands, not waited on.
 */
function watchProgress(result: DirectPipelineResult): { stalled: Promise<never>; stop(): void } {
  let last = "";
  let lastChange = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const p = result.progress();
      const source = Object.values(p.sources)[0] ?? {};
      const line = `read ${p.sourceElements}, acknowledged ${source.acknowledged ?? 0}, outstanding ${source.outstanding ?? 0}`;
      log(`    ${line}`);
      if (line !== last) {
        last = line;
        lastChange = Date.now();
      } else if (Date.now() - lastChange >= STALL_MS) {
        result.cancel("the bench saw no progress");
        reject(new Error(`the pipeline stalled: no progress for ${STALL_MS / 1000} s (${line})`));
      }
    }, 2_000);
  });
  // The race may end by the job finishing: a later rejection must not go unhandled.
  stalled.catch(() => undefined);
  return { stalled, stop: () => clearInterval(timer) };
}

/** `promise`, or a rejection naming `what` once the stage bound has passed. */
async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${STAGE_TIMEOUT_MS / 1000} s`)), STAGE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function parseMessages(): number {
  const { values } = parseArgs({ options: { messages: { type: "string", default: "50000" } } });
  const messages = Number(values.messages);
  if (!Number.isInteger(messages) || messages < 1) throw new Error(`--messages must be a positive integer, got ${JSON.stringify(values.messages)}`);
  return messages;
}

async function main(): Promise<void> {
  const count = parseMessages();
  const previousEnv = { ...process.env };
  const emulators = await startEmulators(["pubsub", "bigtable"]);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-e2e-"));
  try {
    // Against emulators there is no metadata server; the clients' lookup would only print a warning.
    Object.assign(process.env, emulators.env, { METADATA_SERVER_DETECTION: process.env.METADATA_SERVER_DETECTION ?? "none" });
    const file = path.join(workDir, "transactions.csv");
    await writeTransactions({ rows: count, seed: SEED, format: "csv", out: file });
    log(`emulators: Pub/Sub at ${emulators.endpoints.pubsub}, Bigtable at ${emulators.endpoints.bigtable}; ${count} messages`);
    const { publish, pullAck, insert } = await measureCeiling(file, count);
    const ceiling = Math.min(publish, pullAck, insert);

    // A topic of its own: the ceiling's subscription must not take a share of the emulator's work.
    await createTopicAndSubscription("bench-pipeline", "bench-pipeline-read");
    // A pipeline that fails or stalls still leaves the ceiling worth printing, with the reason.
    let run: PipelineRun | undefined;
    let pipelineError: string | undefined;
    try {
      run = await measurePipeline(file, "bench-pipeline", "bench-pipeline-read", count, workDir);
      log(`(d) pipeline: ${Math.round(run.recordsPerS)} records/s; RSS ${Math.round(run.startRssMb)} MB at its start, ${Math.round(run.peakRssMb)} MB at most`);
      const written = (await readRows({ projectId: PROJECT, instanceId: INSTANCE, tableId: "transacoes", timeoutMs: 120_000 })).length;
      if (written !== count) throw new Error(`the table holds ${written} rows, expected ${count}`);
    } catch (error) {
      pipelineError = (error as Error).message;
      log(`(d) pipeline: ${pipelineError}`);
      process.exitCode = 1;
    }

    const report: Report = {
      messages: count,
      publish_msgs_per_s: Math.round(publish),
      pull_ack_msgs_per_s: Math.round(pullAck),
      bigtable_rows_per_s: Math.round(insert),
      ceiling_per_s: Math.round(ceiling),
      pipeline_records_per_s: run && pipelineError === undefined ? Math.round(run.recordsPerS) : null,
      pct_of_ceiling: run && pipelineError === undefined ? Math.round((1000 * run.recordsPerS) / ceiling) / 10 : null,
      latency_p50_ms: run?.latencyP50Ms ?? null,
      latency_p99_ms: run?.latencyP99Ms ?? null,
      rss_mb: run ? Math.round(run.peakRssMb) : null,
      ...(pipelineError !== undefined ? { pipeline_error: pipelineError } : {}),
    };
    process.stdout.write(JSON.stringify(report) + "\n");
  } finally {
    await closeBigtableClients();
    process.env = previousEnv;
    await emulators.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
