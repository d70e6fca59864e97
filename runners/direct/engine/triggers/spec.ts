/**
 * Triggers as the engine sees them: plain data, no protos. The handlers translate the
 * WindowingStrategy proto's Trigger into this; `triggers.ts` runs it as a state machine per
 * (window, key) pane. Semantics follow Beam's model (Java's TriggerStateMachines).
 */
import type { Millis } from "../../../../sdk/time";

export type TriggerSpec =
  /** Fire when the watermark passes the end of the window, then once per late arrival; never finishes. */
  | { kind: "default" }
  /**
   * Fire ON_TIME when the watermark passes the end of the window; before that, EARLY panes whenever
   * `early` fires (repeatedly); after it, LATE panes whenever `late` fires (repeatedly). Without
   * `late` the trigger finishes at the on-time firing.
   */
  | { kind: "afterWatermark"; early?: TriggerSpec; late?: TriggerSpec }
  /** Fire once, `delayMs` of processing time after the first element of the pane arrived. */
  | { kind: "afterProcessingTime"; delayMs: number }
  /** Fire once, when the pane holds at least `count` elements. */
  | { kind: "afterCount"; count: number }
  /** Fire whenever `trigger` would, resetting it after each firing; never finishes. */
  | { kind: "repeatedly"; trigger: TriggerSpec }
  /** Fire when any sub-trigger fires; finishes then. */
  | { kind: "afterAny"; triggers: TriggerSpec[] }
  /** Fire when every sub-trigger has fired; finishes then. */
  | { kind: "afterAll"; triggers: TriggerSpec[] }
  /** Each sub-trigger in turn: fire when the current one fires, then move to the next; finishes after the last. */
  | { kind: "afterEach"; triggers: TriggerSpec[] }
  /** Fire as `main` does until `until` fires, then finish (firing once more if `until` fired). */
  | { kind: "orFinally"; main: TriggerSpec; until: TriggerSpec }
  /** Fire on every element; never finishes. */
  | { kind: "always" }
  /** Never fire (only the end of the window's lifetime emits a final pane). */
  | { kind: "never" };

/** What a trigger may look at when it is asked whether to fire. */
export interface TriggerContext {
  /** The input watermark of the grouping (event time). */
  watermark: Millis;
  /** The runner's processing-time clock. */
  now: Millis;
  /** The last instant of the pane's window (its end minus 1 ms); the watermark passes it when watermark > this. */
  windowMaxTimestamp: Millis;
}

/** The running state of one trigger for one (window, key). */
export interface TriggerStateMachine {
  /** An element arrived in this pane (at processing time ctx.now). */
  onElement(ctx: TriggerContext): void;
  /** Whether the pane should fire now. Pure: calling it twice gives the same answer. */
  shouldFire(ctx: TriggerContext): boolean;
  /** The pane has just fired: advance to the next state (reset counts, move a sequence on, finish...). */
  onFire(ctx: TriggerContext): void;
  /** True once the trigger will never fire again (the window then closes for this key). */
  isFinished(): boolean;
  /**
   * The earliest processing time at which shouldFire could turn true without any new element or
   * watermark change (a processing-time delay expiring), or +Infinity. The engine sets a timer for it.
   */
  nextProcessingTimeWakeUp(): Millis;
  /** Folds in the state of other panes whose windows merged into this one (sessions). */
  mergeFrom(others: TriggerStateMachine[]): void;
}
