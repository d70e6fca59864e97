/**
 * gRPC status codes as Bigtable reports them, per RPC and per MutateRows entry, and which of them a
 * write may retry.
 */

/** Names of the gRPC status codes, by number (google.rpc.Code). */
const CODE_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

/** Success: the entry (or call) is done. */
export const OK = 0;
/** What a failure without a gRPC code counts as (never retried). */
export const UNKNOWN = 2;
/** A create that found the resource there already. */
export const ALREADY_EXISTS = 6;
/** The service could not be reached or gave up for now (retried). */
export const UNAVAILABLE = 14;

/**
 * The codes a write retries: the transient ones, the same set the official Node client retries
 * (DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE). Not INTERNAL: the emulator answers
 * INTERNAL for permanent mistakes (an unknown family, a timestamp finer than milliseconds), which
 * retrying would only delay.
 */
export const RETRYABLE_CODES: ReadonlySet<number> = new Set([4, 8, 10, 14]);

/** The outcome of one entry (or one call): `code` 0 is success. */
export interface Status {
  code: number;
  message: string;
  /**
   * The call failed, not this entry: Bigtable said nothing about it (a missing table, a lost
   * connection). Only an entry's own permanent failure means the row itself can never be written.
   */
  ofCall?: boolean;
}

/** "UNAVAILABLE (14)" for 14. */
export function codeName(code: number): string {
  return `${CODE_NAMES[code] ?? "code"} (${code})`;
}

/** The status of a failed call: its gRPC code if it has one (UNKNOWN otherwise) and its detail. */
export function statusOf(error: unknown): Status {
  const e = error as { code?: unknown; details?: unknown; message?: unknown };
  return {
    code: typeof e?.code === "number" ? e.code : UNKNOWN,
    message: typeof e?.details === "string" && e.details !== "" ? e.details : String(e?.message ?? error),
  };
}
