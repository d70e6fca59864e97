/**
 * Event time inside the engine is plain milliseconds (a JS number), with -Infinity and +Infinity
 * standing for Beam's minimum and maximum timestamps. The SDK carries timestamps as `Long`; the
 * conversion happens here, once, at the engine's edge. Beam's extreme timestamps (±9.2e15 ms) do not
 * fit a double exactly, which is why they map to the infinities instead.
 */
import Long from "long";
import { PaneInfo, Timing } from "apache-beam/values";

/** Milliseconds since the Unix epoch, or ±Infinity. */
export type Millis = number;

/** Beam's minimum timestamp in milliseconds (BoundedWindow.TIMESTAMP_MIN_VALUE). */
const BEAM_MIN_MILLIS = Long.fromString("-9223372036854775");
/** Beam's maximum timestamp in milliseconds (BoundedWindow.TIMESTAMP_MAX_VALUE). */
const BEAM_MAX_MILLIS = Long.fromString("9223372036854775");

/** The SDK's `Instant` (a Long of milliseconds) as engine time. */
export function toMillis(instant: Long | number): Millis {
  if (typeof instant === "number") return instant;
  // Every event time is well inside ±2^53, where the double is exact and Beam's extremes (beyond it)
  // cannot be: no comparison of Longs, each of which allocates two (long.js compares by subtracting).
  const millis = instant.toNumber();
  if (Number.isSafeInteger(millis)) return millis;
  if (instant.lessThanOrEqual(BEAM_MIN_MILLIS)) return -Infinity;
  if (instant.greaterThanOrEqual(BEAM_MAX_MILLIS)) return Infinity;
  return instant.toNumber();
}

/** Engine time as the SDK's `Instant`. */
export function toInstant(millis: Millis): Long {
  if (millis === -Infinity) return BEAM_MIN_MILLIS;
  if (millis === Infinity) return BEAM_MAX_MILLIS;
  return Long.fromNumber(millis);
}

/** The minimum timestamp, as the SDK's impulse carries it. */
export const MIN_INSTANT = BEAM_MIN_MILLIS;

/** The pane of an element that no trigger produced (Beam's PaneInfo.NO_FIRING): what sources emit. */
export const NO_FIRING: PaneInfo = { timing: Timing.UNKNOWN, index: 0, onTimeIndex: 0, isFirst: true, isLast: true };
