/**
 * Bigtable IO on the official client (@google-cloud/bigtable 6):
 *
 * ```ts
 * transactions.apply(toBigtableRows()).apply(writeToBigtable({ instanceId: "e-commerce-data", tableId: "transacoes", createTable: { families: ["dados"] } }));
 * const rows = await readRows({ instanceId: "e-commerce-data", tableId: "transacoes", prefix: userRowPrefix("005258a0"), limit: 10 });
 * ```
 * The sink is a {@link writeInBatches} sink, so it runs on our runner and in the SDK's worker alike:
 * each batch is one MutateRows, retried entry by entry on transient failures (write.ts), and
 * `finishBundle` resolves only once every row is written. Writes are idempotent: the same rows with the
 * same timestamps leave the table as it was. Against the emulator, set BIGTABLE_EMULATOR_HOST.
 */
import * as beam from "apache-beam";
import { requireForSerialization } from "apache-beam/serialization";
import type { BigtableRow } from "../../transforms/bigtable_row";
import type { DeadLetter } from "../../transforms/dead_letter";
import { writeInBatches, type BatchWriter } from "../batching_sink";
import { mutateRowsOnce, type MutateRowsAttempt } from "./mutate";
import { resolveTable, type BigtableTableOptions } from "./table";
import { writeRowsWithRetries, type BigtableWriteSettings } from "./write";

export { formatRowsLikeCbt } from "./cbt_format";
export { closeBigtableClients } from "./clients";
export { readRows, type ReadCell, type ReadRow, type ReadRowsOptions } from "./read";
export { DEFAULT_PROJECT_ID, type BigtableTableOptions } from "./table";

/** Settings of {@link writeToBigtable}. */
export interface WriteToBigtableOptions extends BigtableTableOptions {
  /** Create the table with these column families if it does not exist (and add missing families). */
  createTable?: { families: string[] };
  /**
   * Rows per MutateRows (default 500: against the emulator, 250–500 rows of 13 cells per call with 4
   * in flight wrote fastest; 1000 was a third slower). A request holds at most 100,000 mutations: with
   * 13 cells a row (a transaction), keep it under 7,000.
   */
  batchSize?: number;
  /** MutateRows calls in flight before the sink pushes back (default 4). */
  maxInFlight?: number;
  /** Retries of a batch's transiently failing entries before the write fails (default 8). */
  maxRetries?: number;
  /** First backoff; it doubles per retry up to `maxBackoffMs` (defaults 100 ms and 10 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Deadline of one MutateRows call (default 60 s); past it the call counts as a transient failure. */
  attemptTimeoutMs?: number;
  /**
   * How often the official client itself sends a MutateRows call again that failed before any answer
   * (a missing table, a refused connection), a second and more apart, below this sink's retries
   * (default: the client's own, 2; 0 hands such a failure to this sink at once).
   */
  unansweredCallRetries?: number;
  /**
   * Where rows Bigtable can never take go (a cell it refuses, an entry failed with a permanent code),
   * e.g. `deadLetterWriter(target)` of `io/dead_letters.ts`; unset: such a row fails the job.
   */
  deadLetters?: BatchWriter<DeadLetter>;
}

const DEFAULTS = { batchSize: 500, maxInFlight: 4, maxRetries: 8, initialBackoffMs: 100, maxBackoffMs: 10_000, attemptTimeoutMs: 60_000 };

/**
 * A sink writing {@link BigtableRow}s to a Bigtable table; its step is named
 * `writeToBigtable(<table>)`, which is what a failed job names.
 */
export function writeToBigtable(options: WriteToBigtableOptions): beam.PTransform<beam.PCollection<BigtableRow>, beam.PCollection<never>> {
  const { tableId } = resolveTable(options);
  return writeInBatches(`writeToBigtable(${tableId})`, bigtableBatchWriter(options), {
    batchSize: options.batchSize ?? DEFAULTS.batchSize,
    maxInFlight: options.maxInFlight ?? DEFAULTS.maxInFlight,
    deadLetters: options.deadLetters,
  });
}

/**
 * The write function of {@link writeToBigtable}, for building a sink by hand. `attempt` (one MutateRows
 * call) can be replaced to inject faults below the retries; it must be a function of a registered
 * module, since the writer is serialized with the pipeline.
 */
export function bigtableBatchWriter(options: WriteToBigtableOptions, attempt: MutateRowsAttempt = mutateRowsOnce): BatchWriter<BigtableRow> {
  const settings: BigtableWriteSettings = {
    ...resolveTable(options),
    createFamilies: options.createTable?.families,
    maxRetries: options.maxRetries ?? DEFAULTS.maxRetries,
    initialBackoffMs: options.initialBackoffMs ?? DEFAULTS.initialBackoffMs,
    maxBackoffMs: options.maxBackoffMs ?? DEFAULTS.maxBackoffMs,
    attemptTimeoutMs: options.attemptTimeoutMs ?? DEFAULTS.attemptTimeoutMs,
    unansweredCallRetries: options.unansweredCallRetries,
  };
  const { maxRetries, initialBackoffMs, maxBackoffMs, attemptTimeoutMs, unansweredCallRetries } = settings;
  const count = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n >= 0);
  if (!(count(maxRetries) && initialBackoffMs >= 0 && maxBackoffMs >= initialBackoffMs && attemptTimeoutMs > 0 && count(unansweredCallRetries))) {
    throw new Error(
      `writeToBigtable: need maxRetries and unansweredCallRetries ≥ 0 (integers), 0 ≤ initialBackoffMs ≤ maxBackoffMs and attemptTimeoutMs > 0; got ${JSON.stringify({ maxRetries, initialBackoffMs, maxBackoffMs, attemptTimeoutMs, unansweredCallRetries })}`,
    );
  }
  if (settings.createFamilies !== undefined && settings.createFamilies.length === 0) {
    throw new Error("writeToBigtable: createTable.families must name at least one column family");
  }
  return (batch: BigtableRow[], retried?: (rows: number) => void) => writeRowsWithRetries(settings, batch, attempt, retried);
}

requireForSerialization("beam-ts-native/io/bigtable/index", exports);
