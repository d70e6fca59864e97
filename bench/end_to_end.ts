/**
 * `npm run bench:e2e [-- --messages N --workers N]`: the streaming pipeline (Pub/Sub → our runner → Bigtable) on
 * Google's emulators against the emulators' own ceiling, measured in the same run on the same data.
 *
 * 1. N purchases are generated (fixtures' row generator, CSV) and made into the very messages the
 *    ingest publisher sends (ingest/messages.ts);
 * 2. the ceiling, with the official clients used directly, one stage at a time: (a) publish the N
 *    messages, (b) pull + acknowledge them the fastest way we measured (unary pulls, 4 on the wire,
 *    with the source's own puller; streaming pull is ten times slower on the emulator, see
 *    io/pubsub/puller.ts), (c) insert the N transaction rows in 1000-row
 *    batches, 4 in flight, with the sink's own batch writer. The pipeline cannot beat its slowest
 *    stage: ceiling = the minimum of the three;
 * 3. (d) the same work hand-written with the same clients and no Beam, under the pipeline's
 *    conditions (the ingest publisher sending concurrently): pull (the source's puller), parse, write
 *    the transaction rows (1000-row batches, 4 in flight), acknowledge each batch once written. The
 *    stage ceiling in 2 runs each stage alone with the whole machine; here, as in the pipeline,
 *    Pub/Sub, Bigtable and our process share its cores, so this is what any consumer can reach;
 * 4. (e) the pipeline on our direct runner, reading a fresh subscription while the ingest publisher
 *    publishes the same N rows at full speed with event time "now" (from the job's first pull on, as
 *    in 3: a stream's consumer is running before its messages come): records/s from the first record
 *    read to the end of the job (drain included); publish → transaction row written latency (mean
 *    and max, from the sink's write-lag distribution: event time is the publish time here);
 *    publish → acknowledged latency (p50/p99, the source's own histogram: a message is acknowledged
 *    only once its row is written and a checkpoint holds what it added to the per-minute aggregate —
 *    the job checkpoints, as a production one does); peak RSS while it runs; then the table must
 *    hold exactly N rows.
 *    2, 3 and 4 run in each of `--repeats` rounds, 3 and 4 in alternating order, each run of 3 and
 *    4 on a clean state of its own (see main()), and the best of each figure counts;
 * 5. (f) the pipeline again, the publisher now sending at a steady half of the rate it sustained in
 *    4, for 10 s: publish → row written latency when the pipeline keeps up (in 4 the messages queue
 *    behind a burst published at full speed, so its latency is mostly waiting in the subscription):
 *    mean, max, and p50 / p99 (`steady_p99_publish_to_row_ms`, from io/write_lag_histogram.ts); on
 *    stderr the p50 / p99 of each second, the event loop's delay in it and its garbage-collection
 *    pauses over 20 ms (with their kind);
 * 6. for 3, 4 and 5, the CPU seconds per 1000 messages of the Pub/Sub emulator, the Bigtable emulator,
 *    this process (the consumer) and the publisher's, on stderr: where the time goes.
 *
 * In 3, 4 and 5 the ingest publisher runs in a process of its own (`--publisher`, see
 * readyPublisher): a stream's publishers never share its consumer's process and thread.
 *
 * A pipeline that stops moving (no read, no acknowledgement for 30 s) is cancelled and reported in
 * the JSON line (`pipeline_error`, its figures null; exit status 1) rather than waited on. The
 * emulators are started for the run and stopped at its end, also on failure. Prints one JSON line.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { spawn } from "child_process";
import { monitorEventLoopDelay, PerformanceObserver, constants as perfConstants } from "perf_hooks";
import "apache-beam";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { PubSub, v1, type protos } from "@google-cloud/pubsub";
import { startEmulators, type RunningEmulators } from "../emulators";
import { writeTransactions } from "../fixtures/generate";
import { ingest, type IngestOptions } from "../ingest/publisher";
import { UsageError } from "../cli/command_line";
import { rowMessage, type RowMessage } from "../ingest/messages";
import { bigtableBatchWriter, closeBigtableClients, readRows } from "../io/bigtable";
import { ensureTable } from "../io/bigtable/admin";
import { bigtableClient } from "../io/bigtable/clients";
import { pubsubClientOptions } from "../io/pubsub/client";
import { forEachLineChunk } from "../io/files/text_files";
import { writeLagMetricName } from "../io/batching_sink";
import { writeLagHistogram, writeLagQuantile } from "../io/write_lag_histogram";
import { PubSubPuller } from "../io/pubsub/puller";
import { streamingPipeline, type StreamingJob } from "../pipelines/streaming";
import { directRunner, type DirectPipelineResult } from "../runners/direct";
import { transactionRow, TRANSACTION_FAMILY, type BigtableRow } from "../transforms/bigtable_row";
import { REVENUE_PER_MINUTE_FAMILY } from "../transforms/category_minute_row";
import { parseCsvLine } from "../transforms/parse_csv";
import { parsePubSubPayload } from "../transforms/parse_json";
import { runBench, wholeNumberFlag, type Bench, type BenchFlags } from "./command";
import { REPEATS_FLAG } from "./repeats";
import { available as processCpuAvailable, groupCpuSeconds, ownCpuSeconds } from "./process_cpu";

type ReceivedMessage = protos.google.pubsub.v1.IReceivedMessage;

const ROOT = path.join(__dirname, "..");
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
/** Seconds of publishing at a steady rate in (f). */
const STEADY_SECONDS = 10;
/** The longest the pipeline may take from its start to its first pull on the wire (the publisher waits for it). */
const FIRST_PULL_WITHIN_MS = 60_000;
/** Rounds of (d) and (e) unless `--repeats` says otherwise; see main(). */
const REPEATS = 4;
/**
 * No message for this long: a pulling stage gives up (the messages are not coming). Longer than the
 * subscriptions' ack deadline (60 s): messages the emulator handed to a pull that timed out on our
 * side come back only then.
 */
const NOTHING_COMING_MS = 70_000;

/** The figures of one run (the JSON line); the pipeline's are null when it failed, and `pipeline_error` says why. */
interface Report {
  messages: number;
  /** The pipeline's `workers` (the runner's default: the machine's cores). */
  workers: number;
  publish_msgs_per_s: number;
  pull_ack_msgs_per_s: number;
  bigtable_rows_per_s: number;
  ceiling_per_s: number;
  handwritten_records_per_s: number;
  pipeline_records_per_s: number | null;
  pct_of_ceiling: number | null;
  pct_of_handwritten: number | null;
  row_latency_mean_ms: number | null;
  row_latency_max_ms: number | null;
  steady_rate_msgs_per_s: number | null;
  steady_row_latency_mean_ms: number | null;
  steady_row_latency_max_ms: number | null;
  /** Publish → row written at the steady rate: the quantiles (io/write_lag_histogram.ts, ≤ 5% above the truth). */
  steady_p50_publish_to_row_ms: number | null;
  steady_p99_publish_to_row_ms: number | null;
  ack_latency_p50_ms: number | null;
  ack_latency_p99_ms: number | null;
  rss_mb: number | null;
  /** Rounds of (d) and (e): each counts by its fastest (see main()). */
  repeats: number;
  /** Where the publisher ran (`--publisher`). */
  publisher: PublisherPlace;
  /** The least CPU seconds per 1000 messages of this process (the consumer, with the publisher when in-process) over each one's rounds. */
  handwritten_cpu_s_per_1000: number;
  pipeline_cpu_s_per_1000: number | null;
  pipeline_cpu_over_handwritten: number | null;
  /** Every run of (d) and (e), in the order they ran. */
  rounds: RoundRun[];
  load_average_1m_start: number;
  load_average_1m_end: number;
  pipeline_error?: string;
}

/** One run of (d) or (e) as the JSON line lists it. */
interface RoundRun {
  round: number;
  variant: "handwritten" | "pipeline";
  records_per_s: number;
  /** CPU seconds per 1000 messages of this process: the consumer (and the publisher with `--publisher in-process`). */
  cpu_s_per_1000: number;
  /** Of the publisher's own process (0 with `--publisher in-process`). */
  publisher_cpu_s_per_1000: number;
  pubsub_cpu_s_per_1000: number;
  bigtable_cpu_s_per_1000: number;
  /** CPU seconds of the three processes over the run's seconds: what the machine gave it. */
  cores_busy: number;
  load_average_1m: number;
}

/** CPU seconds per 1000 messages of each process over a stage, and the cores the three kept busy. */
interface CpuSplit {
  /** This process: the consumer, and the publisher when it runs here (`--publisher in-process`). */
  bench: number;
  /** The publisher's own process (0 when it runs here). */
  publisher: number;
  pubsub: number;
  bigtable: number;
  coresBusy: number;
}

/** What one pipeline run measured. */
interface PipelineRun {
  recordsPerS: number;
  /** Publish (= event time) → transaction row written: mean and max over every row (the sink's distribution). */
  rowLatencyMeanMs: number;
  rowLatencyMaxMs: number;
  rowLatencyP50Ms: number;
  rowLatencyP99Ms: number;
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

/** What one run of (d), (e) or (f) reads and writes, made for it and removed after it: every run starts from the same clean state. */
interface RunState {
  topic: string;
  subscription: string;
  /** Transaction rows. */
  table: string;
  /** Revenue per category per minute (the pipeline's second sink; the hand-written consumer has none, but gets the table alike). */
  aggregateTable: string;
}

/** A topic, its subscription and the two tables, all new, for the run called `name`. */
async function freshState(name: string): Promise<RunState> {
  const state = { topic: `bench-${name}`, subscription: `bench-${name}-read`, table: `bench_${name}`, aggregateTable: `bench_${name}_per_minute` };
  await createTopicAndSubscription(state.topic, state.subscription);
  await ensureTable(bigtableClient(PROJECT), INSTANCE, state.table, [TRANSACTION_FAMILY]);
  await ensureTable(bigtableClient(PROJECT), INSTANCE, state.aggregateTable, [REVENUE_PER_MINUTE_FAMILY]);
  return state;
}

/** Checks that `state`'s table holds exactly `count` rows, then removes it all. */
async function checkAndRemove(state: RunState, count: number): Promise<void> {
  const written = (await readRows({ projectId: PROJECT, instanceId: INSTANCE, tableId: state.table, timeoutMs: 120_000 })).length;
  if (written !== count) throw new Error(`table ${state.table} holds ${written} rows, expected ${count}`);
  await remove(state);
}

/** Deletes `state`'s tables, subscription and topic: the next run finds the emulators as this one did. */
async function remove(state: RunState): Promise<void> {
  const instance = bigtableClient(PROJECT).instance(INSTANCE);
  await instance.table(state.table).delete();
  await instance.table(state.aggregateTable).delete();
  const pubsub = new PubSub({ projectId: PROJECT });
  try {
    await pubsub.subscription(state.subscription).delete();
    await pubsub.topic(state.topic).delete();
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

/** Stage (b): the source's puller (4 pulls on the wire), each arrival acknowledged at once, until `count` are in; msg/s. */
async function measurePullAck(subscriptionName: string, count: number): Promise<number> {
  const client = new v1.SubscriberClient(pubsubClientOptions(PROJECT) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
  const subscription = `projects/${PROJECT}/subscriptions/${subscriptionName}`;
  const puller = new PubSubPuller(client, subscription);
  try {
    const acks: Promise<unknown>[] = [];
    const started = performance.now();
    await pullAll(puller, count, "pull+ack", (received) => {
      acks.push(client.acknowledge({ subscription, ackIds: received.map((m) => m.ackId!) }));
    });
    await withTimeout(Promise.all(acks), "acknowledging");
    return count / ((performance.now() - started) / 1000);
  } finally {
    await puller.settle();
    await client.close();
  }
}

/** Stage (c): inserts `rows` into `tableId` (made beforehand) in 1000-row batches, 4 MutateRows in flight, with the sink's batch writer; rows/s. */
async function measureBigtableInsert(tableId: string, rows: BigtableRow[]): Promise<number> {
  const write = bigtableBatchWriter({ projectId: PROJECT, instanceId: INSTANCE, tableId });
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch: Promise<void> = write(rows.slice(i, i + BATCH)).then(() => undefined).finally(() => inFlight.delete(batch));
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
async function measureCeiling(file: string, count: number, round: number): Promise<{ publish: number; pullAck: number; insert: number }> {
  const messages = await messagesOf(file);
  const rows = await transactionRowsOf(file);
  if (messages.length !== count || rows.length !== count) throw new Error(`${file} holds ${messages.length} messages and ${rows.length} rows, expected ${count}`);
  const state = await freshState(`ceiling_${round}`);
  const publish = await measurePublish(state.topic, messages);
  log(`(a) round ${round}, publish: ${Math.round(publish)} msg/s`);
  const pullAck = await measurePullAck(state.subscription, count);
  log(`(b) round ${round}, pull + ack: ${Math.round(pullAck)} msg/s`);
  const insert = await measureBigtableInsert(state.table, rows);
  log(`(c) round ${round}, Bigtable insert: ${Math.round(insert)} rows/s`);
  await remove(state);
  return { publish, pullAck, insert };
}

/** Where the ingest publisher runs (`--publisher`): in a process of its own, or in this one, beside the consumer. */
type PublisherPlace = "process" | "in-process";

/** The ingest publisher of one run, loaded and waiting: `start` sends the messages and resolves with how many it sent. */
interface ReadyPublisher {
  start(): Promise<number>;
  /** Ends its process if it is still running (a run that failed). */
  stop(): void;
}

/** CPU seconds the publisher processes spent publishing, as they report it (their loading not counted). */
let publisherCpuSeconds = 0;

/** What the publisher sends in a run: every row of `file` to `state`'s topic, at full speed or at `rate`, with event time "now". */
function publishing(file: string, state: RunState, rate?: number): IngestOptions {
  return { inputs: [file], topic: state.topic, projectId: PROJECT, eventTime: "now", rate };
}

/**
 * The publisher for `options`, ready to start: in its own process (bench/publisher_process.ts,
 * loaded before the consumer starts, so its start-up takes nothing from the run), or in this one.
 */
async function readyPublisher(place: PublisherPlace, options: IngestOptions): Promise<ReadyPublisher> {
  if (place === "in-process") return { start: async () => (await ingest(options)).published, stop: () => undefined };
  const child = spawn(process.execPath, ["--enable-source-maps", "-r", path.join(ROOT, "scripts/register.js"), path.join(ROOT, "bench/publisher_process.ts"), JSON.stringify(options)], {
    cwd: ROOT,
    env: process.env,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines: string[] = [];
  let waiting: ((line: string | undefined) => void) | undefined;
  let closed = false;
  const output = readline.createInterface({ input: child.stdout });
  output.on("line", (line) => (waiting ? waiting(line) : lines.push(line)));
  output.on("close", () => {
    closed = true;
    waiting?.(undefined);
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      if (lines.length > 0) return resolve(lines.shift()!);
      if (closed) return reject(new Error("the publisher process ended before it said what it published"));
      waiting = (line) => {
        waiting = undefined;
        if (line === undefined) reject(new Error("the publisher process ended before it said what it published"));
        else resolve(line);
      };
    });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  };
  try {
    const first = await withTimeout(nextLine(), "the publisher process's start");
    if (first !== "ready") throw new Error(`the publisher process said '${first}', expected 'ready'`);
  } catch (error) {
    stop();
    throw error;
  }
  return {
    start: async () => {
      child.stdin.write("go\n");
      const report = JSON.parse(await withTimeout(nextLine(), "publishing")) as { published: number; cpuSeconds: number };
      publisherCpuSeconds += report.cpuSeconds;
      return report.published;
    },
    stop,
  };
}

/**
 * Stage (e): the streaming pipeline reads `state`'s subscription into its tables while `publisher`
 * sends its messages to its topic (at full speed, or at `rate`: then each second's latencies are
 * logged), and drains after `count` records.
 */
async function measurePipeline(
  state: RunState,
  count: number,
  workDir: string,
  workers: number | undefined,
  publisher: ReadyPublisher,
  rate?: number,
): Promise<PipelineRun> {
  const job: StreamingJob = {
    subscription: state.subscription,
    project: PROJECT,
    instance: INSTANCE,
    table: state.table,
    aggregateTable: state.aggregateTable,
    deadLetter: { kind: "files", prefix: path.join(workDir, "dead-letters") },
    createTables: true,
  };
  const rowSink = `writeToBigtable(${job.table})`;
  const lagsBefore = writeLagHistogram(rowSink);
  // Checkpointed, as a production job runs (runners/direct/README.md, "Checkpoints"): the minute
  // windows do not hold the acknowledgements until the drain.
  const checkpointDir = fs.mkdtempSync(path.join(workDir, "checkpoints-"));
  const result = (await directRunner({ stopAfter: { records: count }, checkpointDir, workers }).runAsync(streamingPipeline(job))) as DirectPipelineResult;
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
  const windows = rate === undefined ? undefined : logLatencyWindows(rowSink);
  try {
    // A stream's consumer is running before the messages come: publishing starts once the job pulls,
    // so that the job's start (its clients, the subscription, the first pulls) is not counted as
    // the first messages' latency — at a steady rate it was most of the p99.
    await untilPulling(() => Object.values(result.progress().sources)[0] ?? {}, () => result.error());
    const published = publisher.start();
    // Awaited below once the job ends; a failure of the job first must not leave it unhandled.
    published.catch(() => undefined);
    const ended = await Promise.race([result.waitUntilFinish(), watch.stalled]).catch(async (error: Error) => {
      // Cancelled for stalling: let it hand its messages back and close before the emulators stop.
      await result.waitUntilFinish(10_000);
      throw error;
    });
    const endedAt = performance.now();
    if (ended !== JobState_Enum.DONE) throw result.error() ?? new Error(`the pipeline ended ${JobState_Enum[ended]}`);
    const sent = await published;
    if (sent !== count) throw new Error(`the publisher sent ${sent} messages, expected ${count}`);
    const progress = result.progress();
    const source = Object.values(progress.sources)[0] ?? {};
    if (source.acknowledged !== count) throw new Error(`the pipeline acknowledged ${source.acknowledged} of ${count} messages`);
    const rowLag = (await result.distributions())[writeLagMetricName(rowSink)] as unknown as { count: number; sum: number; max: number } | undefined;
    if (rowLag?.count !== count) throw new Error(`the transaction sink reports ${rowLag?.count} rows written, expected ${count}`);
    return {
      rowLatencyMeanMs: Math.round(rowLag.sum / rowLag.count),
      rowLatencyMaxMs: rowLag.max,
      rowLatencyP50Ms: writeLagQuantile(rowSink, 0.5, lagsBefore),
      rowLatencyP99Ms: writeLagQuantile(rowSink, 0.99, lagsBefore),
      recordsPerS: progress.sourceElements / ((endedAt - (firstReadAt ?? endedAt)) / 1000),
      latencyP50Ms: source.ackLatencyP50Ms,
      latencyP99Ms: source.ackLatencyP99Ms,
      startRssMb: startRss / 2 ** 20,
      peakRssMb: peakRss / 2 ** 20,
    };
  } finally {
    publisher.stop();
    clearInterval(firstRead);
    clearInterval(memory);
    watch.stop();
    windows?.stop();
  }
}

/**
 * Resolves once `stats` show a pull on the wire; rejects after {@link FIRST_PULL_WITHIN_MS}, or with
 * what `failure` returns once it returns something (the consumer ended first).
 */
async function untilPulling(stats: () => { pulls?: number; pullsInFlight?: number }, failure: () => Error | undefined): Promise<void> {
  const started = Date.now();
  for (;;) {
    const pulling = stats();
    if ((pulling.pulls ?? 0) + (pulling.pullsInFlight ?? 0) > 0) return;
    const error = failure();
    if (error !== undefined) throw error;
    if (Date.now() - started > FIRST_PULL_WITHIN_MS) throw new Error(`no pull was sent within ${FIRST_PULL_WITHIN_MS / 1000} s of the consumer's start`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Logs (stderr), every second, publish → row written of the rows written in that second (p50, p99),
 * the event loop's delay (p99, max) and the garbage-collection pauses over 20 ms in it: where a tail
 * of the steady latency comes from.
 */
function logLatencyWindows(rowSink: string): { stop(): void } {
  let pauses: string[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.duration > 20) pauses.push(`${Math.round(entry.duration)} (${gcKind((entry as unknown as { detail?: { kind?: number } }).detail?.kind)})`);
    }
  });
  gc.observe({ entryTypes: ["gc"] });
  // How late the event loop ran its timers in the second: a bundle, a write's encoding or a pause
  // holding the thread shows here even when no collection did.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let since = writeLagHistogram(rowSink);
  let second = 0;
  const timer = setInterval(() => {
    const now = writeLagHistogram(rowSink);
    const p50 = writeLagQuantile(rowSink, 0.5, since);
    if (!Number.isNaN(p50)) {
      log(
        `    (f) second ${++second}: p50 ${p50} ms, p99 ${writeLagQuantile(rowSink, 0.99, since)} ms; ` +
          `event loop delay p99 ${Math.round(loopDelay.percentile(99) / 1e6)} ms, max ${Math.round(loopDelay.max / 1e6)} ms; ` +
          `GC pauses over 20 ms: ${pauses.join(", ") || "none"}`,
      );
    }
    since = now;
    pauses = [];
    loopDelay.reset();
  }, 1_000);
  return {
    stop: () => {
      clearInterval(timer);
      gc.disconnect();
      loopDelay.disable();
    },
  };
}

/** The kind of a garbage collection, as perf_hooks reports it. */
function gcKind(kind: number | undefined): string {
  if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) return "scavenge";
  if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) return "mark-compact";
  if (kind === perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL) return "incremental marking";
  return "weak callbacks";
}

/**
 * Stage (d): the hand-written consumer — see the module comment — reading `state`'s subscription
 * into its table while `publisher` sends its messages to its topic (from its first pull on, as in (e));
 * records/s from the first message read to the last write acknowledged.
 */
async function measureHandWritten(state: RunState, count: number, publisher: ReadyPublisher): Promise<number> {
  const write = bigtableBatchWriter({ projectId: PROJECT, instanceId: INSTANCE, tableId: state.table });
  const client = new v1.SubscriberClient(pubsubClientOptions(PROJECT) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
  const subscription = `projects/${PROJECT}/subscriptions/${state.subscription}`;
  const puller = new PubSubPuller(client, subscription);
  const writes = new Set<Promise<void>>();
  let rows: BigtableRow[] = [];
  let ackIds: string[] = [];
  const flush = () => {
    if (ackIds.length === 0) return;
    const batch = rows;
    const acks = ackIds;
    rows = [];
    ackIds = [];
    const written: Promise<void> = write(batch)
      .then(() => client.acknowledge({ subscription, ackIds: acks }))
      .then(() => undefined)
      .finally(() => writes.delete(written));
    writes.add(written);
  };
  try {
    let firstReadAt: number | undefined;
    let failed: Error | undefined;
    const consumed = pullAll(puller, count, "hand-written", async (received, firstSeen) => {
      firstReadAt ??= performance.now();
      for (const { ackId } of received) ackIds.push(ackId!);
      for (const { message } of firstSeen) {
        const parsed = parsePubSubPayload(message!.data!);
        if ("ok" in parsed) rows.push(transactionRow(parsed.ok));
      }
      if (rows.length >= BATCH) flush();
      // A rejected write rejects the race, and with it the stage.
      while (writes.size >= WRITES_IN_FLIGHT) await Promise.race(writes);
    });
    consumed.catch((error: Error) => (failed = error));
    await untilPulling(() => puller.stats, () => failed);
    const published = publisher.start();
    // Awaited below once the consumer ends; a failure of the consumer first must not leave it unhandled.
    published.catch(() => undefined);
    await consumed;
    flush();
    await withTimeout(Promise.all(writes), "the hand-written consumer's writes");
    const endedAt = performance.now();
    const sent = await published;
    if (sent !== count) throw new Error(`the publisher sent ${sent} messages, expected ${count}`);
    return count / ((endedAt - firstReadAt!) / 1000);
  } finally {
    publisher.stop();
    await Promise.allSettled(writes);
    await puller.settle();
    await client.close();
  }
}

/**
 * Pulls with `puller` until `count` distinct messages have arrived, handing each arrival to `onArrival`
 * (everything received, and the messages seen there for the first time; it may await, which holds the
 * next pull back). Fails, naming `what`, when no message comes for {@link NOTHING_COMING_MS}.
 */
async function pullAll(
  puller: PubSubPuller,
  count: number,
  what: string,
  onArrival: (received: ReceivedMessage[], firstSeen: ReceivedMessage[]) => void | Promise<void>,
): Promise<void> {
  const seen = new Set<string>();
  let lastMessageAt = Date.now();
  while (seen.size < count) {
    const received = await puller.next(Date.now() + 2_000);
    if (received.length === 0) {
      if (Date.now() - lastMessageAt >= NOTHING_COMING_MS) throw new Error(`${what}: only ${seen.size} of ${count} messages arrived`);
      continue;
    }
    lastMessageAt = Date.now();
    const firstSeen: ReceivedMessage[] = [];
    for (const m of received) {
      if (seen.has(m.message!.messageId!)) continue;
      seen.add(m.message!.messageId!);
      firstSeen.push(m);
    }
    await onArrival(received, firstSeen);
  }
}

/** CPU seconds used so far by each emulator, by this process and by the publisher processes. */
function cpuNow(emulators: RunningEmulators): { pubsub: number; bigtable: number; bench: number; publisher: number } {
  return {
    pubsub: emulators.pids.pubsub === undefined ? 0 : groupCpuSeconds(emulators.pids.pubsub),
    bigtable: emulators.pids.bigtable === undefined ? 0 : groupCpuSeconds(emulators.pids.bigtable),
    bench: ownCpuSeconds(),
    publisher: publisherCpuSeconds,
  };
}

/** Runs `stage` and logs the CPU each process spent on it per 1000 messages (and the cores busy); returns both. */
async function withCpuSplit<T>(what: string, emulators: RunningEmulators, count: number, stage: () => Promise<T>): Promise<{ result: T; cpu: CpuSplit }> {
  const before = cpuNow(emulators);
  const started = performance.now();
  const result = await stage();
  const after = cpuNow(emulators);
  const wall = (performance.now() - started) / 1000;
  const per1k = (k: keyof typeof before) => ((after[k] - before[k]) * 1000) / count;
  const cpu: CpuSplit = {
    bench: per1k("bench"),
    publisher: per1k("publisher"),
    pubsub: per1k("pubsub"),
    bigtable: per1k("bigtable"),
    coresBusy: (Object.keys(before) as (keyof typeof before)[]).reduce((sum, k) => sum + after[k] - before[k], 0) / wall,
  };
  if (processCpuAvailable) {
    log(
      `    ${what}: CPU s per 1000 messages — Pub/Sub emulator ${cpu.pubsub.toFixed(3)}, Bigtable emulator ${cpu.bigtable.toFixed(3)}, ` +
        `this process ${cpu.bench.toFixed(3)}, publisher process ${cpu.publisher.toFixed(3)}; ${cpu.coresBusy.toFixed(2)} cores busy`,
    );
  }
  return { result, cpu };
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
  let bundlesBefore = 0;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const p = result.progress();
      const source = Object.values(p.sources)[0] ?? {};
      const line = `read ${p.sourceElements}, acknowledged ${source.acknowledged ?? 0}, outstanding ${source.outstanding ?? 0}`;
      // Bundles (every stage's) since the last line: a steady stream runs many small ones, a backlog few large ones.
      const bundles = `${p.bundles - bundlesBefore} bundles`;
      bundlesBefore = p.bundles;
      // How the reading goes (io/pubsub/pull_gate.ts): a pipeline falling behind while its event loop keeps time waits on its pulls.
      const pulls = `pulls in flight ${source.pullsInFlight ?? 0}, lock-step ${source.pullGating ?? 0}, clear / overlapped pull ${ms(source.clearPullMs)} / ${ms(source.overlappedPullMs)} ms`;
      log(`    ${line}; ${bundles}; ${pulls}`);
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

/** The least CPU seconds per 1000 messages of `variant`'s runs (undefined when none ran). */
function leastCpu(rounds: RoundRun[], variant: RoundRun["variant"]): number | undefined {
  const cpu = rounds.filter((r) => r.variant === variant).map((r) => r.cpu_s_per_1000);
  return cpu.length === 0 ? undefined : Math.min(...cpu);
}

/** `x` to three decimals. */
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A latency for the log: whole milliseconds, or "?" before any was measured. */
function ms(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? "?" : String(Math.round(value));
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

const BENCH: Bench = {
  name: "bench:e2e",
  summary: "The streaming pipeline (Pub/Sub → our runner → Bigtable) on Google's emulators against the same work\nhand-written with the same clients and the emulators' own ceiling, then at a steady half of its rate\n(publish → row latency); one JSON line on stdout (bench/README.md).",
  flags: [
    { name: "messages", type: "string", value: "N", default: "50000", help: "purchases published for each measurement" },
    { name: "workers", type: "string", value: "N", help: "the runner's workers (default: the machine's cores)" },
    { name: "publisher", type: "string", value: "WHERE", default: "process", help: "where the ingest publisher runs: process (its own) or in-process (beside the consumer)" },
    { ...REPEATS_FLAG, default: String(REPEATS), help: "rounds of the hand-written consumer and the pipeline, taken in turn; each counts by its fastest" },
  ],
};

async function main(flags: BenchFlags): Promise<void> {
  const count = wholeNumberFlag(flags, "messages");
  const workers = flags.workers === undefined ? undefined : wholeNumberFlag(flags, "workers");
  const repeats = wholeNumberFlag(flags, "repeats");
  const place = flags.publisher as PublisherPlace;
  if (place !== "process" && place !== "in-process") throw new UsageError(`--publisher must be process or in-process, got '${flags.publisher}'`);
  const loadAtStart = os.loadavg()[0];
  const previousEnv = { ...process.env };
  const emulators = await startEmulators(["pubsub", "bigtable"]);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-e2e-"));
  try {
    // Against emulators there is no metadata server; the clients' lookup would only print a warning.
    Object.assign(process.env, emulators.env, { METADATA_SERVER_DETECTION: process.env.METADATA_SERVER_DETECTION ?? "none" });
    const file = path.join(workDir, "transactions.csv");
    await writeTransactions({ rows: count, seed: SEED, format: "csv", out: file });
    log(`emulators: Pub/Sub at ${emulators.endpoints.pubsub}, Bigtable at ${emulators.endpoints.bigtable}; ${count} messages; pipeline on ${workers ?? "the runner's default"} worker(s)`);
    // A pipeline that fails or stalls still leaves the ceiling worth printing, with the reason.
    let publish = 0;
    let pullAck = 0;
    let insert = 0;
    let handWritten = 0;
    let run: PipelineRun | undefined;
    let pipelineError: string | undefined;
    const rounds: RoundRun[] = [];
    const recordRun = (round: number, variant: RoundRun["variant"], recordsPerS: number, cpu: CpuSplit) =>
      rounds.push({
        round,
        variant,
        records_per_s: Math.round(recordsPerS),
        cpu_s_per_1000: round3(cpu.bench),
        publisher_cpu_s_per_1000: round3(cpu.publisher),
        pubsub_cpu_s_per_1000: round3(cpu.pubsub),
        bigtable_cpu_s_per_1000: round3(cpu.bigtable),
        cores_busy: Math.round(cpu.coresBusy * 100) / 100,
        load_average_1m: Math.round(os.loadavg()[0] * 100) / 100,
      });
    // Each of (d) and (e) runs once a round, in turn, `repeats` rounds, and counts by its fastest run:
    // a run can only lose time to what else the machine does (the emulators' JVM and Go runtime
    // warming up, other work coming and going), never gain it, so the fastest is the nearest to what
    // the code costs. Both get the same treatment: each run starts from a clean state of its own (a
    // new topic, subscription and tables, removed once its rows are counted), the publisher starts
    // once the consumer pulls, and the order alternates (d first in odd rounds, (e) in even ones) so
    // that neither always follows the ceiling's stages or the other.
    const handWrittenRun = async (round: number) => {
      const state = await freshState(`handwritten_${round}`);
      const publisher = await readyPublisher(place, publishing(file, state));
      const { result, cpu } = await withCpuSplit(`(d) round ${round}`, emulators, count, () => measureHandWritten(state, count, publisher));
      log(`(d) round ${round}, hand-written consumer: ${Math.round(result)} records/s`);
      await checkAndRemove(state, count);
      handWritten = Math.max(handWritten, result);
      recordRun(round, "handwritten", result, cpu);
    };
    const pipelineRun = async (round: number) => {
      try {
        const state = await freshState(`pipeline_${round}`);
        const publisher = await readyPublisher(place, publishing(file, state));
        const { result, cpu } = await withCpuSplit(`(e) round ${round}`, emulators, count, () => measurePipeline(state, count, workDir, workers, publisher));
        log(`(e) round ${round}, pipeline: ${Math.round(result.recordsPerS)} records/s; RSS ${Math.round(result.startRssMb)} MB at its start, ${Math.round(result.peakRssMb)} MB at most`);
        await checkAndRemove(state, count);
        if (run === undefined || result.recordsPerS > run.recordsPerS) run = result;
        recordRun(round, "pipeline", result.recordsPerS, cpu);
      } catch (error) {
        pipelineError = (error as Error).message;
        log(`(e) round ${round}, pipeline: ${pipelineError}`);
        process.exitCode = 1;
      }
    };
    for (let round = 1; round <= repeats && pipelineError === undefined; round++) {
      const stages = await measureCeiling(file, count, round);
      publish = Math.max(publish, stages.publish);
      pullAck = Math.max(pullAck, stages.pullAck);
      insert = Math.max(insert, stages.insert);
      const inOrder = round % 2 === 1 ? [handWrittenRun, pipelineRun] : [pipelineRun, handWrittenRun];
      for (const measure of inOrder) if (pipelineError === undefined) await measure(round);
    }
    const pipelineOk = run !== undefined && pipelineError === undefined;
    const ceiling = Math.min(publish, pullAck, insert);
    let steady: { rate: number; run: PipelineRun } | undefined;
    if (pipelineOk) {
      const rate = Math.max(1, Math.round(run!.recordsPerS / 2));
      const steadyCount = Math.min(count, rate * STEADY_SECONDS);
      const steadyFile = path.join(workDir, "steady.csv");
      await writeTransactions({ rows: steadyCount, seed: SEED + 1, format: "csv", out: steadyFile });
      try {
        const state = await freshState("steady");
        // Its CPU per message beside (e)'s: at a steady rate bundles are a pull or two, not a backlog's.
        const publisher = await readyPublisher(place, publishing(steadyFile, state, rate));
        const { result: steadyRun } = await withCpuSplit("(f)", emulators, steadyCount, () => measurePipeline(state, steadyCount, workDir, workers, publisher, rate));
        await checkAndRemove(state, steadyCount);
        steady = { rate, run: steadyRun };
        log(
          `(f) pipeline at a steady ${rate} msg/s: publish → row written ${steady.run.rowLatencyMeanMs} ms on average, ` +
            `p50 ${steady.run.rowLatencyP50Ms} ms, p99 ${steady.run.rowLatencyP99Ms} ms, ${steady.run.rowLatencyMaxMs} ms at most`,
        );
      } catch (error) {
        pipelineError = `at a steady ${rate} msg/s: ${(error as Error).message}`;
        log(`(f) pipeline: ${pipelineError}`);
        process.exitCode = 1;
      }
    }

    const report: Report = {
      messages: count,
      workers: workers ?? os.availableParallelism(),
      publish_msgs_per_s: Math.round(publish),
      pull_ack_msgs_per_s: Math.round(pullAck),
      bigtable_rows_per_s: Math.round(insert),
      ceiling_per_s: Math.round(ceiling),
      handwritten_records_per_s: Math.round(handWritten),
      pipeline_records_per_s: pipelineOk ? Math.round(run!.recordsPerS) : null,
      pct_of_ceiling: pipelineOk ? Math.round((1000 * run!.recordsPerS) / ceiling) / 10 : null,
      pct_of_handwritten: pipelineOk ? Math.round((1000 * run!.recordsPerS) / handWritten) / 10 : null,
      row_latency_mean_ms: run?.rowLatencyMeanMs ?? null,
      row_latency_max_ms: run?.rowLatencyMaxMs ?? null,
      steady_rate_msgs_per_s: steady?.rate ?? null,
      steady_row_latency_mean_ms: steady?.run.rowLatencyMeanMs ?? null,
      steady_row_latency_max_ms: steady?.run.rowLatencyMaxMs ?? null,
      steady_p50_publish_to_row_ms: steady?.run.rowLatencyP50Ms ?? null,
      steady_p99_publish_to_row_ms: steady?.run.rowLatencyP99Ms ?? null,
      ack_latency_p50_ms: run?.latencyP50Ms ?? null,
      ack_latency_p99_ms: run?.latencyP99Ms ?? null,
      rss_mb: run ? Math.round(run.peakRssMb) : null,
      repeats,
      publisher: place,
      handwritten_cpu_s_per_1000: leastCpu(rounds, "handwritten")!,
      pipeline_cpu_s_per_1000: pipelineOk ? leastCpu(rounds, "pipeline")! : null,
      pipeline_cpu_over_handwritten: pipelineOk ? round3(leastCpu(rounds, "pipeline")! / leastCpu(rounds, "handwritten")!) : null,
      rounds,
      load_average_1m_start: Math.round(loadAtStart * 100) / 100,
      load_average_1m_end: Math.round(os.loadavg()[0] * 100) / 100,
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

runBench(BENCH, main);
