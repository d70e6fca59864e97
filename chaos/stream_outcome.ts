/**
 * How a probe's stream ended, judged from outside: the rows in Bigtable against those the published
 * files must make (every one, none extra, the same cells), the dead letters against the bad records,
 * and what the subscription still holds. Shared by the probes that crash or cut the job.
 */
import { readRows } from "../io/bigtable";
import { checksum, expectedRows } from "./expected_rows";
import { CHAOS_DEAD_LETTER_TABLE, CHAOS_TRANSACTIONS_TABLE } from "./job";
import { messagesLeft, waitFor, type RunningJob } from "./running_job";
import { CHAOS_INSTANCE, CHAOS_PROJECT, countRows } from "./tables";
import type { Transaction } from "../transforms/transaction";

/** What the stream must end with. */
export interface ExpectedStream {
  good: Transaction[];
  /** Bad records: one dead letter each. */
  bad: number;
}

/** What it ended with. */
export interface StreamOutcome {
  rowsExpected: number;
  rowsWritten: number;
  rowsMissing: number;
  rowsExtra: number;
  /** Every row's cells as expected (order-independent checksum). */
  cellsMatch: boolean;
  deadLettersExpected: number;
  deadLetterRows: number;
  unacknowledgedLeft: number;
}

/** Waits (at most `timeoutMs`) until both tables hold as many rows as `expected` says; whether they did. */
function untilTablesComplete(expected: ExpectedStream, timeoutMs: number): Promise<boolean> {
  let complete = false;
  let checking: Promise<void> | undefined;
  // Counting takes a while on a big table: one count at a time, the wait polling its latest verdict.
  const check = async () => {
    complete = (await countRows(CHAOS_TRANSACTIONS_TABLE)) >= expected.good.length && (await countRows(CHAOS_DEAD_LETTER_TABLE)) >= expected.bad;
    checking = undefined;
  };
  return waitFor(timeoutMs, () => {
    checking ??= check();
    return complete;
  });
}

/** Reads both tables and the subscription (its messages come back after their deadline: call it last). */
async function streamOutcome(subscription: string, expected: ExpectedStream): Promise<StreamOutcome> {
  const rows = await readRows({ projectId: CHAOS_PROJECT, instanceId: CHAOS_INSTANCE, tableId: CHAOS_TRANSACTIONS_TABLE, timeoutMs: 120_000 }).catch(() => []);
  const want = expectedRows(expected.good);
  const wanted = new Set(want.map((r) => r.key));
  const written = new Set(rows.map((r) => r.key));
  return {
    rowsExpected: want.length,
    rowsWritten: rows.length,
    rowsMissing: [...wanted].filter((key) => !written.has(key)).length,
    rowsExtra: [...written].filter((key) => !wanted.has(key)).length,
    cellsMatch: checksum(rows) === checksum(want),
    deadLettersExpected: expected.bad,
    deadLetterRows: await countRows(CHAOS_DEAD_LETTER_TABLE),
    unacknowledgedLeft: await messagesLeft(CHAOS_PROJECT, subscription),
  };
}

/** How a probe's last run ended: catching up, its drain, and the stream's outcome. */
export interface StreamEnd extends StreamOutcome {
  /** From `sinceMs` to the tables complete; null if they never were within the bound. */
  catchUpSeconds: number | null;
  exitCode: number | null;
  /** Caught up, drained with exit 0, and the outcome exact ({@link isExact}). */
  exact: boolean;
}

/**
 * Waits (at most `timeoutMs`) for `job` to complete the tables, drains it (SIGINT) — not before
 * `drainNotBeforeMs` (e.g. once what a killed run held is back from its ack deadline) — and judges
 * the stream of `subscription` (its short name) against `expected`.
 */
export async function finishStream(job: RunningJob, subscription: string, expected: ExpectedStream, sinceMs: number, timeoutMs: number, drainNotBeforeMs = 0): Promise<StreamEnd> {
  const complete = await untilTablesComplete(expected, timeoutMs);
  const catchUpSeconds = complete ? seconds(Date.now() - sinceMs) : null;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, drainNotBeforeMs - Date.now())));
  job.child.kill("SIGINT");
  const { code } = await job.exited;
  const outcome = await streamOutcome(subscription, expected);
  return { ...outcome, catchUpSeconds, exitCode: code, exact: complete && code === 0 && isExact(outcome) };
}

/** Milliseconds as seconds to a tenth. */
export function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

/** Whether the outcome is exact: every row once with its cells, every dead letter, nothing left. */
function isExact(outcome: StreamOutcome): boolean {
  return (
    outcome.rowsWritten === outcome.rowsExpected &&
    outcome.rowsMissing === 0 &&
    outcome.rowsExtra === 0 &&
    outcome.cellsMatch &&
    outcome.deadLetterRows === outcome.deadLettersExpected &&
    outcome.unacknowledgedLeft === 0
  );
}
