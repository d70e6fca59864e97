/**
 * One MutateRows call: rows as MutateRows entries (one SetCell per cell, at the cell's own timestamp)
 * and the status of every entry, as Bigtable reported it or as the call's failure implies.
 *
 * We call the RPC ourselves rather than `table.mutate()`: that method retries on its own, and when the
 * stream fails part-way it reports only the entries that had an error status, so the entries it never
 * heard about would pass for written. Here an entry is written only if Bigtable said so.
 *
 * The call goes to the client's own generated data client (so endpoint, emulator, credentials and the
 * channel `close()` ends are the client's), not through its generic `request()`, which deep-copies
 * every request first: for a batch of a thousand rows that copy cost as much as the write.
 */
import { v2, type Bigtable } from "@google-cloud/bigtable";
import { requireForSerialization } from "apache-beam/serialization";
import type { BigtableRow } from "../../transforms/bigtable_row";
import { OK, statusOf, UNAVAILABLE, type Status } from "./status";

/** A MutateRows entry as the client's protobuf layer takes it. */
export interface MutationEntry {
  rowKey: Buffer;
  mutations: Array<{ setCell: { familyName: string; columnQualifier: Buffer; timestampMicros: number; value: Buffer } }>;
}

/** Where an attempt writes. */
export interface MutateTarget {
  client: Bigtable;
  /** Full name: projects/P/instances/I/tables/T. */
  tableName: string;
  /** Deadline of the call; past it the call fails with DEADLINE_EXCEEDED (retryable). */
  attemptTimeoutMs: number;
  /** How often the client sends the call again itself when it failed before any answer; undefined: the client's default (see {@link mutateRowsOnce}). */
  unansweredCallRetries?: number;
}

/**
 * One attempt at writing `entries`: resolves with one status per entry, in order (OK: written).
 * Never rejects for a failed call: its failure becomes the status of every entry it left unconfirmed.
 */
export type MutateRowsAttempt = (target: MutateTarget, entries: MutationEntry[]) => Promise<Status[]>;

const MICROS_PER_MILLI = 1000;

/** Column qualifiers already encoded: a table has few, and every row repeats them. */
const qualifierBytes = new Map<string, Buffer>();
/** Past this many distinct qualifiers (a table with data in its qualifiers) they are encoded per row. */
const MAX_CACHED_QUALIFIERS = 1024;

function qualifierBuffer(qualifier: string): Buffer {
  let bytes = qualifierBytes.get(qualifier);
  if (bytes === undefined) {
    bytes = Buffer.from(qualifier, "utf8");
    if (qualifierBytes.size < MAX_CACHED_QUALIFIERS) qualifierBytes.set(qualifier, bytes);
  }
  return bytes;
}

/**
 * The entry of `row`. Throws (a mistake no retry can fix) for a cell Bigtable would refuse: a
 * timestamp that is not a whole, non-negative number of milliseconds (in microseconds), or a value
 * that is not a string. The key and the values share one buffer (views into it): one allocation per
 * row instead of one per cell, which showed in profiles.
 */
export function toMutationEntry(row: BigtableRow): MutationEntry {
  let size = Buffer.byteLength(row.key, "utf8");
  for (const cell of row.cells) {
    const ts = cell.timestampMicros;
    if (!Number.isSafeInteger(ts) || ts < 0 || ts % MICROS_PER_MILLI !== 0) {
      throw new Error(
        `row '${row.key}', cell ${row.family}:${cell.qualifier}: timestampMicros ${ts} is not a whole number of milliseconds ` +
          `(Bigtable keeps millisecond granularity: give a non-negative multiple of 1000 below 2^53)`,
      );
    }
    if (typeof cell.value !== "string") {
      throw new Error(`row '${row.key}', cell ${row.family}:${cell.qualifier}: the value must be a string, got ${typeof cell.value}`);
    }
    size += Buffer.byteLength(cell.value, "utf8");
  }
  const bytes = Buffer.allocUnsafe(size);
  let offset = bytes.write(row.key, 0, "utf8");
  const rowKey = bytes.subarray(0, offset);
  // A loop, not a map over a closure: this runs for every row, and ts-closure-transform makes every
  // closure a fresh function with its captured variables attached, which showed in profiles.
  const mutations: MutationEntry["mutations"] = new Array(row.cells.length);
  for (let i = 0; i < row.cells.length; i++) {
    const cell = row.cells[i];
    const start = offset;
    offset += bytes.write(cell.value, offset, "utf8");
    mutations[i] = {
      setCell: {
        familyName: row.family,
        columnQualifier: qualifierBuffer(cell.qualifier),
        timestampMicros: cell.timestampMicros,
        value: bytes.subarray(start, offset),
      },
    };
  }
  return { rowKey, mutations };
}

/**
 * The real attempt: one MutateRows RPC (the caller retries). MutateRows is configured non-idempotent
 * in the generated client, so gax retries no status code; but under gax, `retry-request` sends a
 * call that failed before any answer (a missing table's NOT_FOUND, a refused connection) again, by
 * default twice, a second and more apart — `target.unansweredCallRetries` sets how often.
 */
export const mutateRowsOnce: MutateRowsAttempt = (target, entries) =>
  new Promise((resolve) => {
    const statuses: Array<Status | undefined> = new Array(entries.length);
    const retryRequestOptions = target.unansweredCallRetries === undefined ? {} : { retryRequestOptions: { noResponseRetries: target.unansweredCallRetries } };
    const stream = dataClient(target.client).mutateRows({ tableName: target.tableName, entries }, { timeout: target.attemptTimeoutMs, ...retryRequestOptions });
    let settled = false;
    const settle = (failure?: Status) => {
      if (settled) return;
      settled = true;
      const unconfirmed = { ...(failure ?? { code: UNAVAILABLE, message: "MutateRows ended without a status for this entry" }), ofCall: true };
      resolve(Array.from(statuses, (status) => status ?? unconfirmed));
    };
    stream.on("data", (response: { entries?: Array<{ index: unknown; status?: { code?: number; message?: string } }> }) => {
      for (const entry of response.entries ?? []) {
        statuses[Number(entry.index)] = { code: entry.status?.code ?? OK, message: entry.status?.message ?? "" };
      }
    });
    stream.on("error", (error: unknown) => settle(statusOf(error)));
    stream.on("end", () => settle());
  });

/** The client's generated data client, created the way the client itself does on first use. */
function dataClient(client: Bigtable): v2.BigtableClient {
  const existing = client.api.BigtableClient;
  if (existing !== undefined) return existing as v2.BigtableClient;
  const created = new v2.BigtableClient(client.options.BigtableClient);
  client.api.BigtableClient = created;
  return created;
}

requireForSerialization("beam-ts-native/io/bigtable/mutate", exports);
