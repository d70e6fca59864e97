/**
 * The crash-loop probe: files published as a live stream at a bounded rate while the streaming
 * pipeline (chaos/job.ts, its own process) is killed with SIGKILL at `kills` random moments,
 * restarted at once each time; a last run then catches up and is drained. It passes when the tables
 * end exact — every good row once with its cells, every bad record one dead letter, the per-minute
 * aggregate adding up to each category's revenue (to the paisa) and purchases — the last run
 * exits 0, and the subscription holds nothing: what a killed run had not acknowledged came back,
 * and nothing it had acknowledged was lost. Every run checkpoints into one directory, as a restarted
 * production job does, so a run takes the killed one's windows back. Needs the emulators (PUBSUB_EMULATOR_HOST,
 * BIGTABLE_EMULATOR_HOST set).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { newPubSub } from "../io/pubsub/client";
import { seededRandom } from "../fixtures/prng";
import { ingest } from "../ingest/publisher";
import { recordsOf } from "./expected_rows";
import { aggregateOutcome, type AggregateOutcome } from "./aggregate_outcome";
import type { JobFigures } from "./job";
import { startJob, waitFor, type RunningJob } from "./running_job";
import { finishStream, seconds, type StreamEnd } from "./stream_outcome";
import { CHAOS_PROJECT } from "./tables";

/** The subscription's ack deadline: what a killed run held comes back this long after it last extended it. */
const ACK_DEADLINE_SECONDS = 10;

/** The stream and the crashes. */
export interface CrashLoopOptions {
  /** Files published in order, one message per record (CSV / JSON lines). */
  inputs: string[];
  /** Messages per second. */
  rate: number;
  kills: number;
  /** Each kill comes this long after the run read its first message: uniform in [min, max] ms. */
  killAfterMs: [number, number];
  /**
   * The first run is killed only once it has acknowledged messages (then its delay): at least one
   * crash falls after acknowledgements, however long a loaded machine takes to the first one.
   */
  firstKillAfterAcknowledged?: boolean;
  /** Seed of the kill moments (default 1): the same seed, the same moments. */
  seed?: number;
  /** Elements per bundle of the job (default chaos/job.ts's). */
  bundleSize?: number;
  /** Bound on the last run's catching up (default 3 min). */
  timeoutMs?: number;
}

/** What the probe measured, as its JSON line says it. */
export interface CrashLoopResult extends Omit<StreamEnd, "exact"> {
  probe: "crash-loop";
  pass: boolean;
  published: number;
  kills: number;
  /** What each killed run had read and acknowledged when it died. */
  killedAt: { read: number; acknowledged: number }[];
  /** The per-minute aggregate against the good transactions' totals. */
  aggregate: AggregateOutcome;
  /** The whole probe (`catchUpSeconds`: from the last kill to the tables complete). */
  seconds: number;
}

/** Runs the probe once (see the module comment). */
export async function crashLoopProbe(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const started = Date.now();
  const random = seededRandom(options.seed ?? 1);
  const expected = recordsOf(options.inputs);
  const name = `crash-loop-${process.pid}-${Date.now()}`;
  const subscription = `projects/${CHAOS_PROJECT}/subscriptions/${name}`;
  const pubsub = newPubSub(CHAOS_PROJECT);
  await (await pubsub.createTopic(name))[0].createSubscription(name, { ackDeadlineSeconds: ACK_DEADLINE_SECONDS });
  const timeoutMs = options.timeoutMs ?? 180_000;
  const checkpoints = fs.mkdtempSync(path.join(os.tmpdir(), "crash-loop-checkpoints-"));
  const settings = { bundleSize: options.bundleSize, checkpointDir: checkpoints };
  const killedAt: CrashLoopResult["killedAt"] = [];
  let job: RunningJob | undefined;
  // Event time = publish time, as in a live stream: the files' purchases span months in no order, and
  // by their own times most would come past the minute windows' lateness, dropped from the aggregate.
  const publishing = ingest({ inputs: options.inputs, topic: name, projectId: CHAOS_PROJECT, eventTime: "now", rate: options.rate });
  // Its failure is met where it is awaited, after the kills; until then it must not count as unhandled.
  publishing.catch(() => undefined);
  try {
    for (let kill = 0; kill < options.kills; kill++) {
      job = startJob(subscription, 60_000, settings);
      const running = job;
      const due = kill === 0 && options.firstKillAfterAcknowledged ? (f: JobFigures) => f.acknowledged > 0 : (f: JobFigures) => f.read > 0;
      await waitFor(30_000, () => {
        const figures = running.latest();
        return (figures !== undefined && due(figures)) || running.child.exitCode !== null;
      });
      await new Promise((resolve) => setTimeout(resolve, random.int(...options.killAfterMs)));
      const figures = running.latest();
      running.child.kill("SIGKILL");
      await running.exited;
      killedAt.push({ read: figures?.read ?? 0, acknowledged: figures?.acknowledged ?? 0 });
    }
    const lastKill = Date.now();
    job = startJob(subscription, timeoutMs + 60_000, settings);
    const { published } = await publishing;
    // The last killed run's leases lapse at their deadline: its rows may all be written, but until
    // then what it read is neither acknowledged nor back. The last run drains once it is back.
    const { exact, ...end } = await finishStream(job, name, expected, lastKill, timeoutMs, lastKill + ACK_DEADLINE_SECONDS * 1000 + 2_000);
    const aggregate = await aggregateOutcome(expected.good);
    return {
      probe: "crash-loop",
      pass: exact && published === expected.good.length + expected.bad && aggregate.categoriesWrong === 0,
      published,
      kills: killedAt.length,
      killedAt,
      ...end,
      aggregate,
      seconds: seconds(Date.now() - started),
    };
  } finally {
    job?.child.kill("SIGKILL");
    await publishing.catch(() => undefined);
    await pubsub.close();
    fs.rmSync(checkpoints, { recursive: true, force: true });
  }
}
