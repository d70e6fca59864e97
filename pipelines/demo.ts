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
import { streamingPipeline, type StreamingJob } from "./streaming";
import { feedThroughGateway, type GatewayFeedCounts } from "./demo_gateway";
import { startGateway } from "../ingest/gateway/server";
import { jsonLogger } from "../ingest/gateway/logger";
import { CLIENTS_TABLE, EVENTS_TABLE, SCORES_TABLE } from "../transforms/gateway_tables";
import type { PipelineOptions } from "./options";

const TOPIC = "transacoes-demo";
const SUBSCRIPTION = "transacoes-demo-pipeline";
/** The gateway's other topics (--source=gateway), each with a subscription `<topic>-pipeline`. */
const CLIENTS_TOPIC = "clientes-demo";
const SCORES_TOPIC = "scores-demo";

/** What the demo found out, for the summary. */
export interface DemoSummary {
  published: IngestCounts;
  /** With --source=gateway: what the gateway accepted and refused. */
  gateway?: GatewayFeedCounts;
  valid: number;
  deadLetters: number;
  seconds: number;
  ackLatencyP50Ms: number;
  ackLatencyP99Ms: number;
  /** Valid transactions too late for their minute's aggregate (their rows are still written). */
  droppedLate: number;
  /** Three transaction rows as `cbt read` prints them. */
  sampleRows: string;
  /** The per-minute aggregate's rows, summed per category. */
  revenueByCategory: { category: string; revenue: number; count: number }[];
}

/** The emulators the demo needs that this machine lacks, as lines to print (empty: all there). */
export async function missingForDemo(): Promise<string[]> {
  return (await missingEmulators(["pubsub", "bigtable"])).map(describeMissing);
}

/**
 * Runs the demo; `say` prints a line, `progress` redraws the live line (undefined: no terminal),
 * `onStarted` is told of the streaming job as soon as it runs (the web UI shows it).
 */
export async function runDemo(
  options: PipelineOptions,
  say: (line: string) => void,
  progress?: (line: string) => void,
  onStarted?: (result: DirectPipelineResult) => void,
): Promise<DemoSummary> {
  const emulators: RunningEmulators = await startEmulators(["pubsub", "bigtable"]);
  const previousEnv = { ...process.env };
  Object.assign(process.env, emulators.env);
  try {
    say(`emulators: Pub/Sub at ${emulators.env.PUBSUB_EMULATOR_HOST}, Bigtable at ${emulators.env.BIGTABLE_EMULATOR_HOST}`);
    const viaGateway = options.source === "gateway";
    await createTopicAndSubscription(options.project, TOPIC, SUBSCRIPTION);
    if (viaGateway) {
      await createTopicAndSubscription(options.project, CLIENTS_TOPIC, `${CLIENTS_TOPIC}-pipeline`);
      await createTopicAndSubscription(options.project, SCORES_TOPIC, `${SCORES_TOPIC}-pipeline`);
    }

    const gatewayTables = { clientsSubscription: `${CLIENTS_TOPIC}-pipeline`, scoresSubscription: `${SCORES_TOPIC}-pipeline`, clientsTable: CLIENTS_TABLE, scoresTable: SCORES_TABLE, eventsTable: EVENTS_TABLE };
    const job: StreamingJob = { ...options, subscription: SUBSCRIPTION, createTables: true, gateway: viaGateway ? gatewayTables : undefined };
    const started = Date.now();
    const result = (await directRunner({ bundleSize: options.bundleSize }).runAsync(streamingPipeline(job))) as DirectPipelineResult;
    drainOnSignals(result);
    onStarted?.(result);
    // A live stream made of the sample (seed 004's emulation): event time = publish time, so the
    // per-minute dashboard shows the minutes of this run. The rows keep their own dates.
    let published: IngestCounts;
    let gateway: GatewayFeedCounts | undefined;
    if (viaGateway) {
      gateway = await sendThroughGateway(options, say);
      published = { published: gateway.accepted, valid: gateway.accepted, invalid: 0, seconds: gateway.seconds };
    } else {
      published = await ingest({ inputs: options.inputs!, topic: TOPIC, projectId: options.project, eventTime: "now" });
      say(`published ${published.published} messages (${published.invalid} of them bad rows, on purpose) in ${published.seconds.toFixed(1)} s`);
    }
    await untilEveryMessageRead(result, published.published, progress);
    const counters = await result.counters();
    const source = Object.values(result.progress().sources)[0] ?? {};
    const seconds = (Date.now() - started) / 1000;
    const bigtable = { projectId: options.project, instanceId: options.instance };
    return {
      published,
      gateway,
      valid: counters.valid ?? 0,
      deadLetters: counters.deadLetters ?? 0,
      seconds,
      ackLatencyP50Ms: source.ackLatencyP50Ms,
      ackLatencyP99Ms: source.ackLatencyP99Ms,
      droppedLate: counters.droppedDueToLateness ?? 0,
      sampleRows: formatRowsLikeCbt(await readRows({ ...bigtable, tableId: options.table, limit: 3 })),
      revenueByCategory: perCategory(await readRows({ ...bigtable, tableId: options.aggregateTable })),
    };
  } finally {
    await closeBigtableClients();
    process.env = previousEnv;
    await emulators.stop();
  }
}

/** The sample through a gateway started for it (on a free port), which is stopped once every call is answered. */
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
    const counts = await feedThroughGateway(options.inputs!, gateway.address);
    say(
      `through the gateway in ${counts.seconds.toFixed(1)} s: ${counts.accepted} events accepted (profiles, scores, transactions), ` +
        `${counts.refused} transactions refused at the door, ${counts.notSendable} rows the proto cannot carry (never sent)`,
    );
    for (const reason of counts.refusals) say(`  refused: ${reason}`);
    return counts;
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

/** Drains the job once it has read `published` messages, and waits for it to end. */
async function untilEveryMessageRead(result: DirectPipelineResult, published: number, progress?: (line: string) => void): Promise<void> {
  const ticker = setInterval(() => {
    const p = result.progress();
    const acknowledged = Object.values(p.sources)[0]?.acknowledged ?? 0;
    progress?.(bar(p.sourceElements, published) + ` ${p.sourceElements}/${published} read, ${acknowledged} written and acknowledged`);
    if (p.sourceElements >= published) result.drain(`all ${published} published messages read`);
  }, 100);
  try {
    const state = await result.waitUntilFinish();
    if (state !== JobState_Enum.DONE) throw result.error() ?? new Error(`the streaming job ended ${JobState_Enum[state]}`);
  } finally {
    clearInterval(ticker);
  }
}

function bar(done: number, total: number): string {
  const width = 30;
  const filled = Math.round((width * Math.min(done, total)) / Math.max(total, 1));
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

/** Latest pane of each (category, minute) summed per category. */
export function perCategory(rows: ReadRow[]): { category: string; revenue: number; count: number }[] {
  const totals = new Map<string, { revenue: number; count: number }>();
  for (const row of rows) {
    const category = decodeURIComponent(row.key.slice(0, row.key.lastIndexOf("#")));
    // Cells come newest first: the first of each qualifier is the latest pane.
    const latest = (q: string) => Number(row.cells.find((c) => c.qualifier === q)?.value ?? 0);
    const t = totals.get(category) ?? { revenue: 0, count: 0 };
    t.revenue += latest("revenue");
    t.count += latest("count");
    totals.set(category, t);
  }
  return [...totals].map(([category, t]) => ({ category, ...t })).sort((a, b) => b.revenue - a.revenue);
}
