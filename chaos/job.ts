/**
 * The streaming pipeline as a process of its own, for the probes and the crash test:
 *
 *   node -r ./scripts/register.js chaos/job.ts SUBSCRIPTION [BUNDLE_SIZE [EVERY_MS [CHECKPOINT_DIR]]]
 *
 * reads the subscription given, writes Bigtable (rows, aggregate, dead letters to the table
 * `dead_letters`), and prints one JSON line of figures every EVERY_MS (default 250 ms:
 * `{"read":…,"valid":…,"deadLetters":…,"duplicates":…,…}`), then `{"finished":"DONE"}`. Small
 * bundles (the crash test's 100) make acknowledgements flow early in a short stream; the default is
 * 500. SIGINT drains it (cli/signals.ts); SIGKILL is a crash. With CHECKPOINT_DIR (the runner's
 * `checkpointDir`) windowed input is acknowledged once checkpointed, not once its window expires,
 * and a restarted job takes the windows back from it.
 */
import { directRunner, type DirectPipelineResult } from "../runners/direct";
import { streamingPipeline } from "../pipelines/streaming";
import { drainOnSignals } from "../cli/signals";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { REVENUE_PER_MINUTE_TABLE } from "../transforms/category_minute_row";

/**
 * The V8 settings `npm run pipeline` runs with (package.json; why: bench/measure.ts NODE_FLAGS), for
 * every pipeline process a probe starts: a probe must measure the pipeline as it runs.
 */
export const PIPELINE_NODE_FLAGS = ["--no-allocation-site-pretenuring"];

/** Elements per bundle and the figures' period unless the command line says otherwise. */
export const JOB_DEFAULTS = { bundleSize: 500, everyMs: 250 };

/** The table the job's transaction rows go to. */
export const CHAOS_TRANSACTIONS_TABLE = "transacoes";
/** The table the job's per-minute aggregate goes to (the pipeline's default). */
export const CHAOS_AGGREGATE_TABLE = REVENUE_PER_MINUTE_TABLE;
/** The table the job's dead letters go to. */
export const CHAOS_DEAD_LETTER_TABLE = "dead_letters";

/** One line of figures a job prints. */
export interface JobFigures {
  read: number;
  valid: number;
  deadLetters: number;
  duplicates: number;
  acknowledged: number;
  outstanding: number;
  oldestUnackedAgeMs: number;
  readLagMs: number;
  leasesExpired: number;
  rssMb: number;
  /** Everything the source reports (io/pubsub/source.ts: pulls, extensions, backlog figures). */
  source: Record<string, number>;
}

async function figures(result: DirectPipelineResult): Promise<JobFigures> {
  const counters = await result.counters();
  const progress = result.progress();
  const source = Object.values(progress.sources)[0] ?? {};
  return {
    read: progress.sourceElements,
    valid: counters.valid ?? 0,
    deadLetters: counters.deadLetters ?? 0,
    duplicates: source.duplicates ?? 0,
    acknowledged: source.acknowledged ?? 0,
    outstanding: source.outstanding ?? 0,
    oldestUnackedAgeMs: source.oldestUnackedAgeMs ?? 0,
    readLagMs: source.readLagMs ?? 0,
    leasesExpired: source.leasesExpired ?? 0,
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
    source,
  };
}

async function main(): Promise<void> {
  const [subscription, bundleSize, everyMs, checkpointDir] = process.argv.slice(2);
  const result = (await directRunner({ bundleSize: Number(bundleSize ?? JOB_DEFAULTS.bundleSize), checkpointDir }).runAsync(
    streamingPipeline({
      subscription,
      project: "local-project",
      instance: "e-commerce-data",
      table: CHAOS_TRANSACTIONS_TABLE,
      aggregateTable: CHAOS_AGGREGATE_TABLE,
      deadLetter: { kind: "bigtable", table: CHAOS_DEAD_LETTER_TABLE, instanceId: "e-commerce-data", createTable: true },
      createTables: true,
    }),
  )) as DirectPipelineResult;
  drainOnSignals(result);
  const ticker = setInterval(() => void figures(result).then((f) => process.stdout.write(`${JSON.stringify(f)}\n`)), Number(everyMs ?? JOB_DEFAULTS.everyMs));
  const state = await result.waitUntilFinish();
  clearInterval(ticker);
  process.stdout.write(`${JSON.stringify({ ...(await figures(result)), finished: JobState_Enum[state], error: result.error()?.message })}\n`);
  process.exit(result.error() ? 1 : 0);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error}\n`);
    process.exit(1);
  });
}
