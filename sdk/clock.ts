/**
 * Processing time is a clock the runner owns, so that tests (TestStream) can drive it and a live job
 * can read the wall clock through the same interface.
 */
import type { Millis } from "./time";

export interface Clock {
  /** The current processing time. */
  now(): Millis;
  /** True when time moves only when told to (a TestStream drives it), never by waiting. */
  readonly manual: boolean;
}

/** The wall clock. */
export const wallClock: Clock = { now: () => Date.now(), manual: false };

/** A clock that moves only through {@link ManualClock.advance}. */
export class ManualClock implements Clock {
  readonly manual = true;
  private current: Millis;

  constructor(start: Millis = 0) {
    this.current = start;
  }

  now(): Millis {
    return this.current;
  }

  advance(ms: Millis): void {
    if (!(ms >= 0)) throw new Error(`processing time can only move forward, asked to advance by ${ms} ms`);
    this.current += ms;
  }
}
