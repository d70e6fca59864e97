/**
 * The overload probe. First the pipeline's capacity on this machine: a short run of the same job
 * (chaos/job.ts, its own process) reading a fresh subscription while the ingest publisher sends a
 * prefix of the stream at full speed — records handled per second from the first read to the last,
 * as bench/end_to_end.ts measures its step (e). Then the stream itself, published at
 * `overloadFactor` × that capacity for `seconds` (event time = publish time) into a subscription
 * the job reads. It passes when the job keeps reading until the backlog is gone (every message
 * valid, a dead letter or a counted duplicate), its memory stays bounded, the table holds exactly
 * the stream's rows, and after its drain nothing is left unacknowledged. Reports the capacity
 * measured and the rate used, the peak backlog seen from outside (published − handled), the
 * pipeline's own backlog figures (outstanding leases, oldest unacknowledged age, read lag, lapsed
 * leases), how long the backlog took to drain once publishing stopped, and what the source's pull
 * gate did (io/pubsub/pull_gate.ts: the emulator's pulls slow down with the backlog while messages
 * are outstanding; the share of the run it gated, its pulls that waited for acknowledgements, the
 * latencies it measured at the end).
 * Needs the emulators (PUBSUB_EMULATOR_HOST, BIGTABLE_EMULATOR_HOST set).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PubSub } from "@google-cloud/pubsub";
import { writeTransactions } from "../fixtures/generate";
import { ingest } from "../ingest/publisher";
import { CHAOS_TRANSACTIONS_TABLE, type JobFigures } from "./job";
import { messagesLeft, startJob, waitFor } from "./running_job";
import { seconds } from "./stream_outcome";
import { CHAOS_PROJECT, countRows } from "./tables";

/** The load. */
export interface OverloadProbeOptions {
  /** Messages of the capacity run (published at full speed; a prefix of the stream). */
  capacityMessages: number;
  overloadFactor: number;
  seconds: number;
  /** Memory the job may use at most, MB (default 1 500). */
  rssLimitMb?: number;
}

/** What one run of the job on one stream did. */
interface StreamRun {
  published: number;
  handled: number;
  /** Records handled per second from the first read to the last record handled. */
  handledPerSecond: number;
  publishSeconds: number;
  /** Whether every message of the file was published before the publishing bound. */
  publishedAll: boolean;
  /** From the end of publishing until everything was handled; null if it never was. */
  drainSeconds: number | null;
  peak: { backlog: number; outstanding: number; oldestUnackedAgeMs: number; readLagMs: number };
  leasesExpired: number;
  /** The pull gate: share of the samples it was engaged in, its figures at the end (io/pubsub/pull_gate.ts). */
  gate: { gatedShare: number; gatedPulls: number; gateEngaged: number; clearPullMs: number; overlappedPullMs: number; ackWaitMs: number };
  peakRssMb: number;
  unacknowledgedLeft: number;
  exitCode: number | null;
}

const handledBy = (f: JobFigures | undefined) => (f === undefined ? 0 : f.valid + f.deadLetters + f.duplicates);

/**
 * Publishes `file` (at `rate` messages/s, or as fast as the publisher goes) into a fresh
 * subscription while the job reads it (checkpointed, as a production job runs: the minute windows'
 * ten minutes of lateness do not hold acknowledgements), for at most `publishBoundMs` (an emulator
 * that holds millions of messages takes publishes ever slower); waits (at most `boundMs`) until
 * every message published is handled, drains the job and counts what the subscription still holds.
 */
async function streamThroughJob(what: string, file: string, rate: number | undefined, publishBoundMs: number, boundMs: number, workDir: string): Promise<StreamRun> {
  const name = `${what}-${process.pid}-${Date.now()}`;
  const pubsub = new PubSub({ projectId: CHAOS_PROJECT });
  await (await pubsub.createTopic(name))[0].createSubscription(name, { ackDeadlineSeconds: 60 });
  const job = startJob(`projects/${CHAOS_PROJECT}/subscriptions/${name}`, boundMs + 120_000, { checkpointDir: fs.mkdtempSync(path.join(workDir, "checkpoints-")) });
  let peak = { backlog: 0, outstanding: 0, oldestUnackedAgeMs: 0, readLagMs: 0 };
  let published = 0;
  let firstReadAt: number | undefined;
  let lastHandled = { count: 0, at: 0 };
  const started = Date.now();
  let samples = 0;
  let gatedSamples = 0;
  const sampler = setInterval(() => {
    const f = job.latest();
    if (f === undefined) return;
    if (f.read > 0) firstReadAt ??= Date.now();
    if (f.source.pullGating === 1) gatedSamples++;
    if (handledBy(f) > lastHandled.count) lastHandled = { count: handledBy(f), at: Date.now() };
    // The course of the run on stderr, every 10 s (stdout is the probe's one JSON line).
    if (samples++ % 40 === 0) process.stderr.write(`${what}: ${Math.round((Date.now() - started) / 1000)} s published ${published} ${JSON.stringify(f)}\n`);
    peak = {
      backlog: Math.max(peak.backlog, published - handledBy(f)),
      outstanding: Math.max(peak.outstanding, f.outstanding),
      oldestUnackedAgeMs: Math.max(peak.oldestUnackedAgeMs, f.oldestUnackedAgeMs),
      readLagMs: Math.max(peak.readLagMs, f.readLagMs),
    };
  }, 250);
  try {
    const counts = await ingest({ inputs: [file], topic: name, projectId: CHAOS_PROJECT, rate, eventTime: "now", onProgress: (c) => (published = c.published), signal: AbortSignal.timeout(publishBoundMs) });
    if (!counts.complete) process.stderr.write(`${what}: publishing stopped at its bound of ${publishBoundMs / 1000} s, ${counts.published} messages sent\n`);
    published = counts.published;
    const publishedAt = Date.now();
    const drained = await waitFor(boundMs, () => handledBy(job.latest()) >= published || job.child.exitCode !== null);
    const drainSeconds = drained ? seconds(Date.now() - publishedAt) : null;
    job.child.kill("SIGINT");
    const { code, last, peakRssMb } = await job.exited;
    return {
      published,
      handled: handledBy(last),
      handledPerSecond: firstReadAt === undefined || lastHandled.at <= firstReadAt ? 0 : Math.round(lastHandled.count / ((lastHandled.at - firstReadAt) / 1000)),
      publishSeconds: seconds(publishedAt - started),
      publishedAll: counts.complete,
      drainSeconds,
      peak,
      leasesExpired: last?.leasesExpired ?? 0,
      gate: {
        gatedShare: samples === 0 ? 0 : Math.round((100 * gatedSamples) / samples) / 100,
        gatedPulls: last?.source.gatedPulls ?? 0,
        gateEngaged: last?.source.gateEngaged ?? 0,
        clearPullMs: last?.source.clearPullMs ?? NaN,
        overlappedPullMs: last?.source.overlappedPullMs ?? NaN,
        ackWaitMs: last?.source.ackWaitMs ?? NaN,
      },
      peakRssMb,
      unacknowledgedLeft: await messagesLeft(CHAOS_PROJECT, name),
      exitCode: code,
    };
  } finally {
    clearInterval(sampler);
    job.child.kill("SIGKILL");
    await pubsub.close();
  }
}

/** Runs the probe once (see the module comment). */
export async function overloadProbe(options: OverloadProbeOptions) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "overload-"));
  try {
    // The capacity run first, on purchases of its own (another seed): their rows are counted before the stream's.
    const capacityFile = path.join(dir, "capacity.jsonl");
    const file = path.join(dir, "stream.jsonl");
    await writeTransactions({ rows: options.capacityMessages, seed: 4, format: "jsonl", out: capacityFile });
    const capacityRun = await streamThroughJob("capacity", capacityFile, undefined, 300_000, 300_000, dir);
    const capacityPerSecond = capacityRun.handledPerSecond;
    if (!capacityRun.publishedAll || capacityRun.exitCode !== 0 || capacityRun.handled !== capacityRun.published || capacityPerSecond === 0) {
      throw new Error(`the capacity run did not handle every message: ${JSON.stringify(capacityRun)}`);
    }
    const rate = capacityPerSecond * options.overloadFactor;
    const count = Math.round(rate * options.seconds);
    process.stderr.write(`overload: capacity ${capacityPerSecond} msg/s measured; publishing ${count} messages at ${rate} msg/s\n`);
    await writeTransactions({ rows: count, seed: 3, format: "jsonl", out: file });
    const rowsBefore = await countRows(CHAOS_TRANSACTIONS_TABLE);
    // Publishing, then draining a backlog of up to (factor − 1) × the publishing time, then the drain.
    const bound = options.seconds * 1000 * (options.overloadFactor + 2) + 120_000;
    // Three times the publishing planned, then the probe fails on what was not sent.
    const publishBound = options.seconds * 1000 * 3 + 60_000;
    const run = await streamThroughJob("overload", file, rate, publishBound, bound, dir);
    // Hundreds of thousands of rows take a while to count.
    const rowsWritten = (await countRows(CHAOS_TRANSACTIONS_TABLE, 300_000)) - rowsBefore;
    const pass =
      run.publishedAll &&
      run.drainSeconds !== null &&
      run.exitCode === 0 &&
      run.handled === count &&
      rowsWritten === count &&
      run.peakRssMb <= (options.rssLimitMb ?? 1500) &&
      run.unacknowledgedLeft === 0 &&
      capacityRun.unacknowledgedLeft === 0;
    return {
      probe: "overload" as const,
      pass,
      capacityMsgsPerS: capacityPerSecond,
      capacityRunMessages: capacityRun.published,
      publishRate: rate,
      published: run.published,
      publishSeconds: run.publishSeconds,
      publishedAll: run.publishedAll,
      // What the publisher reached: on a loaded machine the emulator accepts less than the rate asked.
      publishedPerSecond: run.publishSeconds > 0 ? Math.round(run.published / run.publishSeconds) : 0,
      handled: run.handled,
      rowsExpected: count,
      rowsWritten,
      backlogDrainedSecondsAfterPublishing: run.drainSeconds,
      peakBacklog: run.peak.backlog,
      peakOutstanding: run.peak.outstanding,
      peakOldestUnackedAgeMs: run.peak.oldestUnackedAgeMs,
      peakReadLagMs: run.peak.readLagMs,
      leasesExpired: run.leasesExpired,
      pullGate: run.gate,
      capacityRunPullGate: capacityRun.gate,
      peakRssMb: run.peakRssMb,
      unacknowledgedLeft: run.unacknowledgedLeft + capacityRun.unacknowledgedLeft,
      exitCode: run.exitCode,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
