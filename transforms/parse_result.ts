/**
 * The outcome of turning one raw input into something typed, and how a failed outcome becomes a
 * dead letter. Parsers return outcomes instead of throwing so that a plain loop and a DoFn handle
 * bad input the same way, and so that a bad row costs no stack trace.
 */
import type { DeadLetter } from "./dead_letter";
import type { TransactionColumn } from "./transaction";
import { requireForSerialization } from "apache-beam/serialization";

/** Why an input was refused. */
export interface Rejection {
  /** The column to blame; undefined when the row as a whole is unusable (bad CSV, not JSON...). */
  field?: TransactionColumn;
  /** What was expected and what was found, e.g. `Discount (%) must be between 0 and 100, found 150`. */
  reason: string;
}

/** Either the typed value (`ok`) or why there is none (`error`). */
export type ParseResult<T> = { ok: T } | { error: Rejection };

/**
 * The dead letter for an input refused by pipeline step `step`. `timeMs` is the time of rejection.
 * `origin` and `eventId` are left out of the object when unknown, so dead letters compare cleanly in tests.
 */
export function deadLetterOf(rejection: Rejection, input: string, origin: string | undefined, step: string, eventId?: string): DeadLetter {
  const letter: DeadLetter = { input, step, reason: rejection.reason, timeMs: Date.now() };
  if (origin !== undefined) letter.origin = origin;
  if (rejection.field !== undefined) letter.field = rejection.field;
  if (eventId !== undefined) letter.eventId = eventId;
  return letter;
}

requireForSerialization("beam-ts-native/transforms/parse_result", exports);
