/**
 * The outage probes: Bigtable or Pub/Sub unreachable for `cutMs` in the middle of a live stream, the
 * streaming pipeline (chaos/job.ts, its own process) reaching the service through a TCP proxy
 * (./tcp_proxy.ts) that resets every connection and refuses new ones until restored — the emulator
 * itself keeps running, and its data. The first file is published and partly handled before the
 * cut, the rest during it; optionally the job is killed with SIGKILL during the cut and restarted at
 * once, still cut off.
 *
 * It passes when the cut bit (connections reset; nothing written to Bigtable, or nothing read from
 * Pub/Sub, while it lasted), no message was acknowledged before its output was written (watched
 * every 100 ms during the cut: what the job acknowledged never exceeds the rows in the tables, each
 * message making one row or one dead letter), the job catches up after the restore (reported: how
 * long), drains with exit 0, and the tables end exact with nothing left in the subscription.
 * Needs the emulators (PUBSUB_EMULATOR_HOST, BIGTABLE_EMULATOR_HOST set).
 */
import { newPubSub } from "../io/pubsub/client";
import { ingest } from "../ingest/publisher";
import { recordsOf } from "./expected_rows";
import { CHAOS_DEAD_LETTER_TABLE, CHAOS_TRANSACTIONS_TABLE } from "./job";
import { startJob, waitFor, type RunningJob } from "./running_job";
import { finishStream, seconds, type StreamEnd } from "./stream_outcome";
import { CHAOS_PROJECT, countRows } from "./tables";
import { startTcpProxy } from "./tcp_proxy";

/** The service cut off, by the variable its clients find its emulator with. */
const EMULATOR_VARIABLE = { bigtable: "BIGTABLE_EMULATOR_HOST", pubsub: "PUBSUB_EMULATOR_HOST" } as const;
const WATCH_MS = 100;

/** The outage. */
export interface OutageProbeOptions {
  service: keyof typeof EMULATOR_VARIABLE;
  /** Two files, one message per record: the first published before the cut, the second during it. */
  inputs: [string, string];
  cutMs: number;
  /** Kill the job this long into the cut and restart it at once; undefined: no kill. */
  killAfterMs?: number;
  /** Bound on catching up after the restore (default 2 min). */
  timeoutMs?: number;
}

/** What the probe measured, as its JSON line says it. */
export interface OutageProbeResult extends Omit<StreamEnd, "exact"> {
  probe: string;
  pass: boolean;
  published: number;
  cutSeconds: number;
  killed: boolean;
  connectionsReset: number;
  /** Bigtable cut: rows that appeared after the first look during the cut; Pub/Sub cut: messages read during it. */
  movedDuringCut: number;
  /** How many looks during the cut, and the largest excess of acknowledged messages over rows seen. */
  looks: number;
  ackedBeforeWritten: number;
  /** The whole probe (`catchUpSeconds`: from the restore to the tables complete). */
  seconds: number;
}

/** Runs the probe once (see the module comment). */
export async function outageProbe(options: OutageProbeOptions): Promise<OutageProbeResult> {
  const started = Date.now();
  const variable = EMULATOR_VARIABLE[options.service];
  const emulator = process.env[variable];
  if (emulator === undefined) throw new Error(`the outage probe needs ${variable}`);
  const expected = recordsOf(options.inputs);
  const name = `outage-${options.service}-${process.pid}-${Date.now()}`;
  const subscription = `projects/${CHAOS_PROJECT}/subscriptions/${name}`;
  const pubsub = newPubSub(CHAOS_PROJECT);
  await (await pubsub.createTopic(name))[0].createSubscription(name, { ackDeadlineSeconds: 10 });
  const proxy = await startTcpProxy(emulator);
  // Only the job goes through the proxy; this process (publisher, table counts) reaches the emulator.
  const settings = { everyMs: WATCH_MS, env: { ...process.env, [variable]: proxy.endpoint } };
  const timeoutMs = options.timeoutMs ?? 120_000;
  let job: RunningJob | undefined;
  try {
    let published = (await ingest({ inputs: [options.inputs[0]], topic: name, projectId: CHAOS_PROJECT, eventTime: "row" })).published;
    job = startJob(subscription, 4 * timeoutMs, settings);
    const first = job;
    // Under way: the first file read and some of it written and acknowledged (its tables exist).
    await waitFor(60_000, () => (first.latest()?.acknowledged ?? 0) > 0 && first.latest()!.read >= published);

    proxy.cut();
    const cutAt = Date.now();
    const during = ingest({ inputs: [options.inputs[1]], topic: name, projectId: CHAOS_PROJECT, eventTime: "row" });
    // Awaited after the cut: until then its failure must not count as unhandled.
    during.catch(() => undefined);
    let killed = false;
    let looks = 0;
    let ackedBeforeWritten = 0;
    let rowsAtFirstLook: number | undefined;
    let rowsAtLastLook = 0;
    const readAtCut = job.latest()?.read ?? 0;
    let readDuringCut = 0;
    while (Date.now() - cutAt < options.cutMs) {
      if (!killed && options.killAfterMs !== undefined && Date.now() - cutAt >= options.killAfterMs) {
        job.child.kill("SIGKILL");
        await job.exited;
        job = startJob(subscription, 4 * timeoutMs, settings);
        killed = true;
      }
      // Figures first, then rows: rows only grow, so an acknowledged count above them is an ack before a write.
      const acknowledged = job.latest()?.acknowledged ?? 0;
      if (!killed) readDuringCut = (job.latest()?.read ?? 0) - readAtCut;
      const rows = (await countRows(CHAOS_TRANSACTIONS_TABLE)) + (await countRows(CHAOS_DEAD_LETTER_TABLE));
      rowsAtFirstLook ??= rows;
      rowsAtLastLook = rows;
      ackedBeforeWritten = Math.max(ackedBeforeWritten, acknowledged - rows);
      looks++;
      await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
    }
    proxy.restore();
    const restoredAt = Date.now();
    published += (await during).published;
    const { exact, ...end } = await finishStream(job, name, expected, restoredAt, timeoutMs);
    // Writes already under way when the cut came may land in the first look, none after.
    const movedDuringCut = options.service === "bigtable" ? rowsAtLastLook - (rowsAtFirstLook ?? 0) : readDuringCut;
    return {
      probe: `outage-${options.service}${options.killAfterMs !== undefined ? "-kill" : ""}`,
      pass:
        proxy.stats.reset > 0 &&
        movedDuringCut === 0 &&
        ackedBeforeWritten === 0 &&
        exact &&
        published === expected.good.length + expected.bad,
      published,
      cutSeconds: seconds(restoredAt - cutAt),
      killed,
      connectionsReset: proxy.stats.reset,
      movedDuringCut,
      looks,
      ackedBeforeWritten,
      ...end,
      seconds: seconds(Date.now() - started),
    };
  } finally {
    job?.child.kill("SIGKILL");
    await proxy.close();
    await pubsub.close();
  }
}
