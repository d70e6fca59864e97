/**
 * Writing one batch of rows to Bigtable so that every row is written, or refused for good, or the
 * write rejects: one MutateRows per attempt; entries that failed with a transient code (and only
 * those) are sent again after an exponential backoff with jitter. A row no attempt can write — one
 * Bigtable would refuse (see toMutationEntry), or whose own entry failed with a permanent code — is
 * returned as refused, naming the table and the reason, for the sink to dead-letter (the rest of the
 * batch is written). A call that failed as a whole with a permanent code (a missing table) rejects at
 * once; so does a transient failure still there after `maxRetries` retries: those are the service's
 * or the job's problem, not a row's, and fail the job with its input unacknowledged.
 *
 * Rows are idempotent (deterministic keys, cells at the event's timestamp), so sending an entry twice,
 * or replaying a batch, leaves the table as one write would.
 */
import type { Bigtable } from "@google-cloud/bigtable";
import { requireForSerialization } from "apache-beam/serialization";
import type { BigtableRow } from "../../transforms/bigtable_row";
import type { RejectedElement } from "../batching_sink";
import { ensureTable } from "./admin";
import { bigtableClient } from "./clients";
import { mutateRowsOnce, toMutationEntry, type MutateRowsAttempt, type MutationEntry } from "./mutate";
import { codeName, OK, RETRYABLE_CODES, statusOf, type Status } from "./status";

/** Everything a write needs, as plain data (it travels with the serialized pipeline). */
export interface BigtableWriteSettings {
  projectId: string;
  instanceId: string;
  tableId: string;
  /** Column families to create with the table if it does not exist; undefined: the table must exist. */
  createFamilies: string[] | undefined;
  maxRetries: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  attemptTimeoutMs: number;
  /** See {@link MutateTarget}; undefined: the client's default. */
  unansweredCallRetries?: number;
}

/** Tables already ensured, per client (so per endpoint) and table: created once, not per batch. */
const ensured = new WeakMap<Bigtable, Map<string, Promise<void>>>();

/**
/**
 * Writes `rows` (see the module comment) and resolves with the rows refused for good (none: all
 * written); `attempt` is the MutateRows call, replaceable to inject faults; `retried` is told how
 * many entries each retry sends again.
 */
export async function writeRowsWithRetries(
  settings: BigtableWriteSettings,
  rows: BigtableRow[],
  attempt: MutateRowsAttempt = mutateRowsOnce,
  retried?: (rows: number) => void,
): Promise<RejectedElement[]> {
  const refused: RejectedElement[] = [];
  if (rows.length === 0) return refused;
  const client = bigtableClient(settings.projectId);
  const tableName = client.instance(settings.instanceId).table(settings.tableId).name;
  const entries: MutationEntry[] = new Array(rows.length);
  let pending: number[] = [];
  for (let index = 0; index < rows.length; index++) {
    try {
      entries[index] = toMutationEntry(rows[index]);
      pending.push(index);
    } catch (error) {
      refused.push({ index, reason: `Bigtable table ${tableName}: ${(error as Error).message}` });
    }
  }
  if (pending.length === 0) return refused;
  if (settings.createFamilies !== undefined) await ensureWithRetries(client, settings, settings.createFamilies);

  const target = { client, tableName, attemptTimeoutMs: settings.attemptTimeoutMs, unansweredCallRetries: settings.unansweredCallRetries };
  for (let retry = 0; ; retry++) {
    const statuses = await attempt(target, pending.map((index) => entries[index]));
    const failed: Array<{ index: number; status: Status }> = [];
    for (let i = 0; i < statuses.length; i++) {
      const status = statuses[i];
      if (status.code === OK) continue;
      if (RETRYABLE_CODES.has(status.code)) failed.push({ index: pending[i], status });
      else if (status.ofCall) throw new Error(`Bigtable table ${tableName}: ${describe(rows, { index: pending[i], status }, statuses.length)} (not retryable)`);
      else refused.push({ index: pending[i], reason: `Bigtable table ${tableName} refused the row: ${codeName(status.code)} ${status.message} (not retryable)` });
    }
    if (failed.length === 0) return refused;
    if (retry >= settings.maxRetries) {
      throw new Error(`Bigtable table ${tableName}: ${describe(rows, failed[0], failed.length)}, still after ${retry + 1} attempts`);
    }
    pending = failed.map((f) => f.index);
    retried?.(pending.length);
    await sleep(backoffMs(settings, retry));
  }
}

/**
 * Delay before retry number `retry` (from 0): the exponential bound, capped, half of it fixed and half
 * random ("equal jitter"), so workers that failed together do not retry together, yet each waits longer.
 */
function backoffMs(settings: Pick<BigtableWriteSettings, "initialBackoffMs" | "maxBackoffMs">, retry: number): number {
  const bound = Math.min(settings.maxBackoffMs, settings.initialBackoffMs * 2 ** retry);
  return bound / 2 + Math.random() * (bound / 2);
}

/**
 * A pause. A function of its own on purpose: ts-closure-transform 0.1.8 miscompiles a closure that
 * captures a `for (let …)` loop variable (the variable becomes undeclared), as an inline
 * `new Promise((resolve) => setTimeout(resolve, f(retry)))` in the loop would.
 */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(rows: BigtableRow[], failure: { index: number; status: Status }, failedCount: number): string {
  const others = failedCount > 1 ? `; ${failedCount - 1} more rows of this batch failed too` : "";
  return `row '${rows[failure.index].key}' was not written: ${codeName(failure.status.code)} ${failure.status.message}${others}`;
}

/** {@link ensureOnce}, retried like a write: a Bigtable unreachable when the job starts is an outage too. */
async function ensureWithRetries(client: Bigtable, settings: BigtableWriteSettings, families: string[]): Promise<void> {
  for (let retry = 0; ; retry++) {
    try {
      return await ensureOnce(client, settings, families);
    } catch (error) {
      // Admin errors wrap the gRPC status of their cause.
      const { code } = statusOf((error as Error).cause ?? error);
      if (!RETRYABLE_CODES.has(code) || retry >= settings.maxRetries) throw error;
      await sleep(backoffMs(settings, retry));
    }
  }
}

function ensureOnce(client: Bigtable, settings: BigtableWriteSettings, families: string[]): Promise<void> {
  let tables = ensured.get(client);
  if (tables === undefined) {
    tables = new Map();
    ensured.set(client, tables);
  }
  const key = JSON.stringify([settings.instanceId, settings.tableId, families]);
  let done = tables.get(key);
  if (done === undefined) {
    done = ensureTable(client, settings.instanceId, settings.tableId, families);
    // A failure is not remembered: the next batch tries again.
    const forget = tables;
    done.catch(() => forget.delete(key));
    tables.set(key, done);
  }
  return done;
}

requireForSerialization("beam-ts-native/io/bigtable/write", exports);
