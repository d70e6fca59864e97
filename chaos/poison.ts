/**
 * The poison probe: good and malformed messages (chaos/poison_messages.ts) published to a
 * subscription the streaming pipeline reads, in its own process. It passes when the pipeline stays
 * alive, valid + dead letters + duplicates = published, every dead letter has a reason, the rows
 * written are the valid transactions, and nothing is left unacknowledged. Needs the emulators
 * (PUBSUB_EMULATOR_HOST, BIGTABLE_EMULATOR_HOST set).
 */
import { PubSub } from "@google-cloud/pubsub";
import { readRows } from "../io/bigtable";
import { CHAOS_DEAD_LETTER_TABLE, CHAOS_TRANSACTIONS_TABLE } from "./job";
import { poisonMix } from "./poison_messages";
import { messagesLeft, startJob, waitFor } from "./running_job";
import { CHAOS_INSTANCE, CHAOS_PROJECT } from "./tables";


/** Sizes of the mix. */
export interface PoisonProbeOptions {
  good: number;
  malformed: number;
  duplicates: number;
  /** Bound on waiting for every message to be handled (default 5 min). */
  timeoutMs?: number;
}

/** What the probe measured, as its JSON line says it. */
export interface PoisonProbeResult {
  probe: "poison";
  pass: boolean;
  published: number;
  valid: number;
  deadLetters: number;
  duplicates: number;
  expectedDuplicates: number;
  malformed: number;
  conflicts: number;
  rowsWritten: number;
  deadLetterRows: number;
  deadLettersWithoutReason: number;
  unacknowledgedLeft: number;
  exitCode: number | null;
  seconds: number;
}

/** Runs the probe once (see the module comment). */
export async function poisonProbe(options: PoisonProbeOptions): Promise<PoisonProbeResult> {
  const started = Date.now();
  const mix = poisonMix(options.good, options.malformed, options.duplicates);
  const name = `poison-${process.pid}-${Date.now()}`;
  const pubsub = new PubSub({ projectId: CHAOS_PROJECT });
  const [topic] = await pubsub.createTopic(name);
  await topic.createSubscription(name, { ackDeadlineSeconds: 20 });
  const job = startJob(`projects/${CHAOS_PROJECT}/subscriptions/${name}`, (options.timeoutMs ?? 300_000) + 60_000);
  try {
    const publisher = pubsub.topic(name, { batching: { maxMessages: 500, maxMilliseconds: 20 } });
    await Promise.all(mix.messages.map((m) => publisher.publishMessage(m)));
    const published = mix.messages.length;
    const handled = () => {
      const f = job.latest();
      return f !== undefined && f.valid + f.deadLetters + f.duplicates >= published && f.acknowledged >= published;
    };
    await waitFor(options.timeoutMs ?? 300_000, () => handled() || job.child.exitCode !== null);
    job.child.kill("SIGINT");
    const { code, last } = await job.exited;
    const rows = await readRows({ projectId: CHAOS_PROJECT, instanceId: CHAOS_INSTANCE, tableId: CHAOS_TRANSACTIONS_TABLE }).catch(() => []);
    const letters = await readRows({ projectId: CHAOS_PROJECT, instanceId: CHAOS_INSTANCE, tableId: CHAOS_DEAD_LETTER_TABLE }).catch(() => []);
    const withoutReason = letters.filter((row) => !row.cells.some((c) => c.qualifier === "reason" && c.value.length > 0)).length;
    const left = await messagesLeft(CHAOS_PROJECT, name);
    const valid = last?.valid ?? 0;
    const deadLetters = last?.deadLetters ?? 0;
    const duplicates = last?.duplicates ?? 0;
    const pass =
      code === 0 &&
      valid + deadLetters + duplicates === published &&
      duplicates === mix.duplicates &&
      valid >= mix.good - mix.conflicts &&
      valid <= mix.good &&
      rows.length === valid &&
      letters.length === deadLetters &&
      withoutReason === 0 &&
      left === 0;
    return {
      probe: "poison",
      pass,
      published,
      valid,
      deadLetters,
      duplicates,
      expectedDuplicates: mix.duplicates,
      malformed: mix.malformed,
      conflicts: mix.conflicts,
      rowsWritten: rows.length,
      deadLetterRows: letters.length,
      deadLettersWithoutReason: withoutReason,
      unacknowledgedLeft: left,
      exitCode: code,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    job.child.kill("SIGKILL");
    await pubsub.close();
  }
}
