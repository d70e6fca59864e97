/**
 * What becomes of input that cannot be used. Bad input never stops a pipeline and never vanishes:
 * each rejected element turns into one DeadLetter that says what it was, where it came from and why.
 */
export interface DeadLetter {
  /** The raw input exactly as received (a CSV line, a JSON line, a message payload as text). */
  input: string;
  /** Where the input came from, when known: `file.csv:42`, `pubsub:<message id>`. */
  origin?: string;
  /** The pipeline step that rejected it (`parseTransactions`, `validateTransactions`...). */
  step: string;
  /** The offending field or column, when one is to blame. */
  field?: string;
  /** Why it was rejected, in words a user can act on. */
  reason: string;
  /** When it was rejected, milliseconds since the Unix epoch. */
  timeMs: number;
  /** The event id the input carried (the gateway's `event_id` attribute), when it had one. */
  eventId?: string;
}
