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
import type { PipelineOptions } from "./options";

const TOPIC = "transacoes-demo";
const SUBSCRIPTION = "transacoes-demo-pipeline";

/** What the demo found out, for the summary. */
export interface DemoSummary {
  published: IngestCounts;
  valid: number;
  deadLetters: number;
  /** Messages dropped as redeliveries of one already read (same id attribute, same payload). */
  duplicates: number;
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

/** Runs the demo; `say` prints a line, `progress` redraws the live line (undefined: no terminal). */
export async function runDemo(
  options: PipelineOptions,
  say: (line: string) => void,
  progress?: (line: string) => void,
): Promise<DemoSummary> {
  const emulators: RunningEmulators = await startEmulators(["pubsub", "bigtable"]);
  const previousEnv = { ...process.env };
  Object.assign(process.env, emulators.env);
  try {
    say(`emulators: Pub/Sub at ${emulators.env.PUBSUB_EMULATOR_HOST}, Bigtable at ${emulators.env.BIGTABLE_EMULATOR_HOST}`);
    await createTopicAndSubscription(options.project);

    const job: StreamingJob = { ...options, subscription: SUBSCRIPTION, createTables: true };
    const started = Date.now();
    const result = (await directRunner({ bundleSize: options.bundleSize }).runAsync(streamingPipeline(job))) as DirectPipelineResult;
    drainOnSignals(result);
    // A live stream made of the sample (seed 004's emulation): event time = publish time, so the
    // per-minute dashboard shows the minutes of this run. The rows keep their own dates.
    const published = await ingest({ inputs: options.inputs!, topic: TOPIC, projectId: options.project, eventTime: "now" });
    say(`published ${published.published} messages (${published.invalid} of them bad rows, on purpose) in ${published.seconds.toFixed(1)} s`);
    await untilEveryMessageRead(result, published.published, progress);
    const counters = await result.counters();
    const source = Object.values(result.progress().sources)[0] ?? {};
    const seconds = (Date.now() - started) / 1000;
    const bigtable = { projectId: options.project, instanceId: options.instance };
    return {
      published,
      valid: counters.valid ?? 0,
      deadLetters: counters.deadLetters ?? 0,
      duplicates: source.duplicates ?? 0,
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

async function createTopicAndSubscription(projectId: string): Promise<void> {
  const pubsub = newPubSub(projectId);
  try {
    const [topicExists] = await pubsub.topic(TOPIC).exists();
    if (!topicExists) await pubsub.createTopic(TOPIC);
    const [subscriptionExists] = await pubsub.subscription(SUBSCRIPTION).exists();
    if (!subscriptionExists) await pubsub.topic(TOPIC).createSubscription(SUBSCRIPTION, { ackDeadlineSeconds: 60 });
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
function perCategory(rows: ReadRow[]): { category: string; revenue: number; count: number }[] {
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
