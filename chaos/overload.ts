/**
 * The overload probe: a live stream published at `overloadFactor` × the pipeline's capacity for
 * `seconds`, event time = publish time, into a subscription the streaming pipeline reads in its own
 * process. It passes when the pipeline keeps reading until the backlog is gone (every message
 * valid, a dead letter or a counted duplicate), its memory stays bounded, and after its drain
 * nothing is left unacknowledged. Reports the peak backlog seen from outside (published − handled),
 * the pipeline's own backlog figures (outstanding leases, oldest unacknowledged age, read lag,
 * lapsed leases) and how long the backlog took to drain once publishing stopped.
 * Needs the emulators (PUBSUB_EMULATOR_HOST, BIGTABLE_EMULATOR_HOST set).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PubSub } from "@google-cloud/pubsub";
import { writeTransactions } from "../fixtures/generate";
import { ingest } from "../ingest/publisher";
import { messagesLeft, startJob, waitFor } from "./running_job";
import { CHAOS_PROJECT } from "./tables";


/** The load. */
export interface OverloadProbeOptions {
  /** What the pipeline sustains on this machine, messages/s (bench:e2e measures it). */
  capacityPerSecond: number;
  overloadFactor: number;
  seconds: number;
  /** Memory the job may use at most, MB (default 1 500). */
  rssLimitMb?: number;
}

/** Runs the probe once (see the module comment). */
export async function overloadProbe(options: OverloadProbeOptions) {
  const rate = options.capacityPerSecond * options.overloadFactor;
  const count = Math.round(rate * options.seconds);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "overload-"));
  const file = path.join(dir, "stream.jsonl");
  await writeTransactions({ rows: count, seed: 3, format: "jsonl", out: file });
  const name = `overload-${process.pid}-${Date.now()}`;
  const pubsub = new PubSub({ projectId: CHAOS_PROJECT });
  await (await pubsub.createTopic(name))[0].createSubscription(name, { ackDeadlineSeconds: 60 });
  // Publishing, then draining a backlog of up to (factor − 1) × the publishing time, then the drain.
  const bound = options.seconds * 1000 * (options.overloadFactor + 2) + 120_000;
  // Checkpointed, as a production job runs: the minute windows' ten minutes of lateness do not hold acknowledgements.
  const job = startJob(`projects/${CHAOS_PROJECT}/subscriptions/${name}`, bound + 120_000, { checkpointDir: path.join(dir, "checkpoints") });
  let peak = { backlog: 0, outstanding: 0, oldestUnackedAgeMs: 0, readLagMs: 0 };
  let published = 0;
  const handled = () => {
    const f = job.latest();
    return f === undefined ? 0 : f.valid + f.deadLetters + f.duplicates;
  };
  const started = Date.now();
  let samples = 0;
  const sampler = setInterval(() => {
    const f = job.latest();
    if (f === undefined) return;
    // The course of the run on stderr, every 10 s (stdout is the probe's one JSON line).
    if (samples++ % 10 === 0) process.stderr.write(`overload: ${Math.round((Date.now() - started) / 1000)} s published ${published} ${JSON.stringify(f)}\n`);
    peak = {
      backlog: Math.max(peak.backlog, published - handled()),
      outstanding: Math.max(peak.outstanding, f.outstanding),
      oldestUnackedAgeMs: Math.max(peak.oldestUnackedAgeMs, f.oldestUnackedAgeMs),
      readLagMs: Math.max(peak.readLagMs, f.readLagMs),
    };
  }, 1000);
  try {
    const counts = await ingest({ inputs: [file], topic: name, projectId: CHAOS_PROJECT, rate, eventTime: "now", onProgress: (c) => (published = c.published) });
    published = counts.published;
    const publishedAt = Date.now();
    const drained = await waitFor(bound, () => handled() >= published || job.child.exitCode !== null);
    const drainSeconds = (Date.now() - publishedAt) / 1000;
    job.child.kill("SIGINT");
    const { code, last, peakRssMb } = await job.exited;
    const left = await messagesLeft(CHAOS_PROJECT, name);
    const pass = drained && code === 0 && peakRssMb <= (options.rssLimitMb ?? 1500) && left === 0;
    return {
      probe: "overload" as const,
      pass,
      publishRate: rate,
      published,
      publishSeconds: Math.round((publishedAt - started) / 100) / 10,
      handled: last === undefined ? 0 : last.valid + last.deadLetters + last.duplicates,
      backlogDrainedSecondsAfterPublishing: drained ? Math.round(drainSeconds * 10) / 10 : null,
      peakBacklog: peak.backlog,
      peakOutstanding: peak.outstanding,
      peakOldestUnackedAgeMs: peak.oldestUnackedAgeMs,
      peakReadLagMs: peak.readLagMs,
      leasesExpired: last?.leasesExpired ?? 0,
      peakRssMb,
      unacknowledgedLeft: left,
      exitCode: code,
    };
  } finally {
    clearInterval(sampler);
    job.child.kill("SIGKILL");
    await pubsub.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
