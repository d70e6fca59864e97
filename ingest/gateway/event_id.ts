/**
 * Event ids: the client's, when it sends one, else generated here. ULIDs (the `ulid` library):
 * 26 Crockford base-32 characters, the first ten the creation time in ms, so ids sort by time as
 * text — in Bigtable, in logs, in a dead-letter table — and carry no coordination between gateways.
 * Generated ids are monotonic within one process: two in the same millisecond still sort in order.
 */
import { decodeTime, isValid, monotonicFactory } from "ulid";

const nextUlid = monotonicFactory();

/** A new event id. */
export function newEventId(): string {
  return nextUlid();
}

/**
 * The canonical (upper-case) form of a client's event id, or why it is not one. ULIDs are case
 * insensitive; the canonical form is what every attribute, cell and dead letter carries.
 */
export function checkedEventId(given: string): { ok: string } | { error: string } {
  if (given.length !== 26) return { error: `event_id must be a ULID (26 Crockford base-32 characters), found ${given.length} characters` };
  const id = given.toUpperCase();
  // A first character above 7 would overflow the 48-bit time: not a ULID, though base-32 clean.
  if (!isValid(id) || id[0] > "7") return { error: `event_id must be a ULID (26 Crockford base-32 characters: 0-9 and A-Z without I, L, O, U), found ${JSON.stringify(given)}` };
  return { ok: id };
}

/** The creation time an event id carries, ms since the epoch. */
export function eventIdTimeMs(id: string): number {
  return decodeTime(id);
}
