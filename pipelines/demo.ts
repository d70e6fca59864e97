/**
 * The main job with no flags: a self-contained demo of the whole system.
 *
 *   emulators (started, or reused from PUBSUB_EMULATOR_HOST / BIGTABLE_EMULATOR_HOST)
 *   → topic + subscription + tables → the publisher sends the committed sample
 *   → the streaming pipeline on our runner, until every published message is handled → drain
 *   → summary (counts, throughput, latency, rows as `cbt read` shows them, the aggregate, next steps)
 *
 * Where the emulators are missing it says which and how to get them, and runs the batch pipeline
 * over the same sample instead.
 */
import { newPubSub } from "../io/pubsub/client";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { startEmulators, missingEmulators, describeMissing, type RunningEmulators } from "../emulators";
import { ingest, type IngestCounts } from "../ingest/publisher";
import { closeBigtableClients, formatRowsLikeCbt, readRows, type ReadRow } from "../io/bigtable";
import { directRunner, type DirectPipelineResult } from "../runners/direct";
import { drainOnSignals } from "../cli/signals";
import { STREAMING_BUNDLE_SIZE, streamingPipeline, type StreamingJob } from "./streaming";
import { feedThroughGateway, type GatewayFeedCounts } from "./demo_gateway";
import { startGateway } from "../ingest/gateway/server";
import { jsonLogger } from "../ingest/gateway/logger";
import { CLIENTS_TABLE, EVENTS_TABLE, SCORES_TABLE } from "../transforms/gateway_tables";
import type { PipelineOptions } from "./options";
import { log } from "../cli/log";
import { estimatedLines } from "../io/files/input_format";
import { progress } from "../cli/progress";
import type { Logger } from "pino";
import { runEnd, type RunEnd } from "./run_end";
import { paiseOfRupees, type Paise } from "../transforms/money";

const TOPIC = "transacoes-demo";
/** The subscription the demo reads (messages left unread stay there). */
export const DEMO_SUBSCRIPTION = "transacoes-demo-pipeline";
/** The gateway's other topics (--source=gateway), each with a subscription `<topic>-pipeline`. */
const CLIENTS_TOPIC = "clientes-demo";
const SCORES_TOPIC = "scores-demo";

/** What the demo found out, for the summary: every figure counts this run only. */
export interface DemoSummary {
  published: IngestCounts;
  /** Messages the job read from the subscription. */
  read: number;
  /** Messages the job acknowledged: everything they produced was written. */
  acknowledged: number;
  /** With --source=gateway: what the gateway accepted and refused. */
  gateway?: GatewayFeedCounts;
  valid: number;
  deadLetters: number;
  /** Messages dropped as redeliveries of one already read (same id attribute, same payload). */
  duplicates: number;
  /** From the job's start to its end. */
  seconds: number;
  /** Why the job stopped (see run_end.ts). */
  ended: RunEnd;
  ackLatencyP50Ms: number;
  ackLatencyP99Ms: number;
  /** Valid transactions too late for their minute's aggregate (their rows are still written). */
  droppedLate: number;
  /** Three transaction rows as `cbt read` prints them. */
  sampleRows: string;
  /** The per-minute aggregate's rows of this run's minutes, summed per category. */
  revenueByCategory: CategoryTotal[];
  /** Which emulators the demo started (and stopped), and which it reused (and left running). */
  emulators: { started: string[]; reused: string[] };
}

/** Revenue and transactions of one category. */
export interface CategoryTotal {
  category: string;
  revenuePaise: Paise;
  count: number;
}

/** The emulators the demo needs that this machine lacks, as lines to print (empty: all there). */
export async function missingForDemo(): Promise<string[]> {
  return (await missingEmulators(["pubsub", "bigtable"])).map(describeMissing);
}

/**
 * Runs the demo: each step logged (cli/log.ts), each long one with its progress (cli/progress.ts);
 * `onStarted` is told of the streaming job as soon as it runs (the web UI shows it).
 */
export async function runDemo(options: PipelineOptions, onStarted?: (result: DirectPipelineResult) => void): Promise<DemoSummary> {
  const logger = log().child({ job: "streaming-demo" });
  const emulators = await startingEmulators(logger);
  const previousEnv = { ...process.env };
  Object.assign(process.env, emulators.env);
  try {
    logger.info({ step: "emulators" }, `emulators: Pub/Sub at ${emulators.env.PUBSUB_EMULATOR_HOST}, Bigtable at ${emulators.env.BIGTABLE_EMULATOR_HOST}`);
    const viaGateway = options.source === "gateway";
    await createTopicAndSubscription(options.project, TOPIC, DEMO_SUBSCRIPTION);
    if (viaGateway) {
      await createTopicAndSubscription(options.project, CLIENTS_TOPIC, `${CLIENTS_TOPIC}-pipeline`);
      await createTopicAndSubscription(options.project, SCORES_TOPIC, `${SCORES_TOPIC}-pipeline`);
    }

    const gatewayTables = { clientsSubscription: `${CLIENTS_TOPIC}-pipeline`, scoresSubscription: `${SCORES_TOPIC}-pipeline`, clientsTable: CLIENTS_TABLE, scoresTable: SCORES_TABLE, eventsTable: EVENTS_TABLE };
    const job: StreamingJob = { ...options, subscription: DEMO_SUBSCRIPTION, createTables: true, gateway: viaGateway ? gatewayTables : undefined };
    const started = Date.now();
    // This run's per-minute aggregate is the rows of the minutes it ran in: event time is publish time.
    const firstMinuteMs = Math.floor(started / 60_000) * 60_000;
    const result = (await directRunner({ bundleSize: options.bundleSize ?? STREAMING_BUNDLE_SIZE, workers: options.workers }).runAsync(streamingPipeline(job))) as DirectPipelineResult;
    drainOnSignals(result);
    onStarted?.(result);
    // A live stream made of the sample (seed 004's emulation): event time = publish time, so the
    // per-minute dashboard shows the minutes of this run. The rows keep their own dates.
    // Publishing stops when the job stops early (Ctrl-C): what was not published is not "left unread".
    const publishing = new AbortController();
    const jobEnded = result.waitUntilFinish().finally(() => publishing.abort());
    let published: IngestCounts;
    let gateway: GatewayFeedCounts | undefined;
    if (viaGateway) {
      gateway = await sendThroughGateway(options, (line) => logger.info({ step: "gateway" }, line));
      // The gateway feed always sends the whole sample (it takes no signal).
      published = { published: gateway.accepted, valid: gateway.accepted, invalid: 0, seconds: gateway.seconds, complete: true };
    } else {
      const toPublish = estimatedLines(options.inputs!) ?? 0;
      const publishBar = progress("publishing");
      published = await ingest({
        inputs: options.inputs!,
        topic: TOPIC,
        projectId: options.project,
        eventTime: "now",
        signal: publishing.signal,
        onProgress: (c) => publishBar.update(c.published, Math.max(toPublish, c.published), `${Math.round(c.published / Math.max(c.seconds, 1e-3))} msg/s`),
      }).catch((error: unknown) => {
        publishBar.stop();
        throw error;
      });
      // The total was estimated from the sample's size: once the publish ended, the bar shows the true one.
      if (published.complete) publishBar.complete();
      else publishBar.stop();
      const stoppedEarly = published.complete ? "" : "; publishing was stopped before the end of the sample (the job ended)";
      logger.info(
        { step: "publish", published: published.published, invalid: published.invalid, complete: published.complete },
        `published ${published.published} messages (${published.invalid} of them bad rows, on purpose) in ${published.seconds.toFixed(1)} s${stoppedEarly}`,
      );
    }
    await untilEveryMessageRead(result, published.published);
    logger.info({ step: "stream", reason: result.drainReason() }, `the streaming job ended: ${result.drainReason() ?? "its sources finished"}`);
    await jobEnded;
    const counters = await result.counters();
    const source = Object.values(result.progress().sources)[0] ?? {};
    const seconds = (Date.now() - started) / 1000;
    const bigtable = { projectId: options.project, instanceId: options.instance };
    return {
      published,
      read: result.progress().sourceElements,
      acknowledged: source.acknowledged ?? 0,
      gateway,
      valid: counters.valid ?? 0,
      deadLetters: counters.deadLetters ?? 0,
      duplicates: source.duplicates ?? 0,
      seconds,
      ended: runEnd(result.drainReason(), `all ${published.published} published messages read`),
      ackLatencyP50Ms: source.ackLatencyP50Ms,
      ackLatencyP99Ms: source.ackLatencyP99Ms,
      droppedLate: counters.droppedDueToLateness ?? 0,
      sampleRows: formatRowsLikeCbt(await readRows({ ...bigtable, tableId: options.table, limit: 3 })),
      revenueByCategory: perCategory(await readRows({ ...bigtable, tableId: options.aggregateTable }), firstMinuteMs),
      emulators: { started: Object.keys(emulators.pids), reused: Object.keys(emulators.endpoints).filter((e) => !(e in emulators.pids)) },
    };
  } finally {
    await closeBigtableClients();
    process.env = previousEnv;
    await emulators.stop();
  }
}

/** The sample through a gateway started for it (on a free port), which is stopped once every call is answered; the summary says what it took. */
async function sendThroughGateway(options: PipelineOptions, say: (line: string) => void): Promise<GatewayFeedCounts> {
  const gateway = await startGateway({
    port: 0,
    maxMessageBytes: 4 << 20,
    maxBatchEvents: 1000,
    maxStreamRejections: 1000,
    log: jsonLogger("warn"),
    publisher: {
      projectId: options.project,
      topics: { transaction: TOPIC, client: CLIENTS_TOPIC, score: SCORES_TOPIC },
      maxInFlight: 10_000,
      batchMaxMessages: 1000,
      batchMaxMs: 5,
      publishTimeoutMs: 10_000,
    },
  });
  try {
    say(`gateway listening on ${gateway.address}`);
    return await feedThroughGateway(options.inputs!, gateway.address);
  } finally {
    await gateway.shutdown(10_000);
  }
}

async function createTopicAndSubscription(projectId: string, topic: string, subscription: string): Promise<void> {
  const pubsub = newPubSub(projectId);
  try {
    const [topicExists] = await pubsub.topic(topic).exists();
    if (!topicExists) await pubsub.createTopic(topic);
    const [subscriptionExists] = await pubsub.subscription(subscription).exists();
    if (!subscriptionExists) await pubsub.topic(topic).createSubscription(subscription, { ackDeadlineSeconds: 60 });
  } finally {
    await pubsub.close();
  }
}

/** Drains the job once it has read `published` messages (the reason {@link runEnd} knows), and waits for it to end. */
async function untilEveryMessageRead(result: DirectPipelineResult, published: number): Promise<void> {
  const bar = progress("streaming");
  const show = () => {
    const p = result.progress();
    const acknowledged = Object.values(p.sources)[0]?.acknowledged ?? 0;
    bar.update(p.sourceElements, published, `read, ${acknowledged} written and acknowledged`);
    return p.sourceElements;
  };
  const ticker = setInterval(() => {
    if (show() >= published) result.drain(`all ${published} published messages read`);
  }, 100);
  try {
    const state = await result.waitUntilFinish();
    if (state !== JobState_Enum.DONE) throw result.error() ?? new Error(`the streaming job ended ${JobState_Enum[state]}`);
  } finally {
    clearInterval(ticker);
    // The last acknowledgements land as the job ends, after the last tick: the bar ends on them.
    show();
    bar.stop();
  }
}

/** Starts (or reuses) the emulators, saying so at once and showing the seconds go by: the JVM takes a few. */
async function startingEmulators(logger: Logger): Promise<RunningEmulators> {
  logger.info({ step: "emulators" }, "starting Google's Pub/Sub and Bigtable emulators (the Pub/Sub one, a JVM, answers after 2–4 s)…");
  const bar = progress("emulators");
  const startedAt = Date.now();
  const ticker = setInterval(() => {
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    bar.update(seconds, Math.max(10, seconds), "seconds (they usually answer within 10)");
  }, 500);
  try {
    return await startEmulators(["pubsub", "bigtable"]);
  } finally {
    clearInterval(ticker);
    bar.stop();
  }
}

/**
 * Latest pane of each (category, minute) from `firstMinuteMs` on, summed per category: this run's
 * minutes only. Rows of earlier runs against the same emulators are older minutes; a minute this run
 * shares with an earlier one holds this run's total, since the latest pane overwrites the cell.
 */
export function perCategory(rows: ReadRow[], firstMinuteMs: number): CategoryTotal[] {
  const totals = new Map<string, { revenuePaise: Paise; count: number }>();
  for (const row of rows) {
    const separator = row.key.lastIndexOf("#");
    if (Date.parse(row.key.slice(separator + 1)) < firstMinuteMs) continue;
    const category = decodeURIComponent(row.key.slice(0, separator));
    // Cells come newest first: the first of each qualifier is the latest pane.
    const latest = (q: string) => Number(row.cells.find((c) => c.qualifier === q)?.value ?? 0);
    const t = totals.get(category) ?? { revenuePaise: 0, count: 0 };
    t.revenuePaise += paiseOfRupees(latest("revenue")) ?? NaN;
    t.count += latest("count");
    totals.set(category, t);
  }
  return [...totals].map(([category, t]) => ({ category, ...t })).sort((a, b) => b.revenuePaise - a.revenuePaise);
}
