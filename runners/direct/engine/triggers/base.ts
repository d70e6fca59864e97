/**
 * What every trigger state machine shares: the merge plumbing (sessions) and the two questions about
 * event time that the watermark triggers ask. Each kind of trigger lives in its own file next to this.
 */
import type { Millis } from "../../../../sdk/time";
import type { TriggerContext, TriggerStateMachine } from "./spec";

/** Makes the initial state of one (sub-)trigger; composites call it to reset a sub-trigger. */
export type Fresh = () => TriggerStateMachine;

/**
 * The base of every state machine here. It records whether the state was ever touched (an element,
 * a firing or a merge): an untouched state is exactly the initial state of a pane that never saw
 * anything, and a merge must leave it out. Otherwise merging into a freshly created pane (what the
 * grouping does for a merged session) would AND a "never fired" into "fired on time" flags and
 * forget every firing. Leaving it out is right in the other usage too: merging into one of the
 * merging panes' own machines includes that pane, because it was touched.
 */
export abstract class TriggerState implements TriggerStateMachine {
  private touched = false;

  onElement(ctx: TriggerContext): void {
    this.touched = true;
    this.element(ctx);
  }

  onFire(ctx: TriggerContext): void {
    this.touched = true;
    this.fired(ctx);
  }

  /**
   * Folds `others` (and this state, if touched) into this state. The others are consumed: their
   * sub-trigger states may be moved into this one, so the caller must drop them afterwards.
   */
  mergeFrom(others: TriggerStateMachine[]): void {
    const states: this[] = [];
    // A Set, so that passing this state among the others does not count it twice.
    for (const state of new Set<TriggerStateMachine>([this, ...others])) {
      if (!(state instanceof TriggerState) || state.constructor !== this.constructor) {
        throw new Error(
          `cannot merge trigger states of different triggers (${this.constructor.name} and ${state.constructor.name}); ` +
            "the panes of one grouping must share one trigger",
        );
      }
      if (state.touched) states.push(state as this);
    }
    if (states.length === 0) return;
    this.merge(states);
    this.touched = true;
  }

  abstract shouldFire(ctx: TriggerContext): boolean;
  abstract isFinished(): boolean;
  abstract nextProcessingTimeWakeUp(): Millis;

  /** An element arrived (the base has already marked the state touched). */
  protected abstract element(ctx: TriggerContext): void;
  /** The pane fired. */
  protected abstract fired(ctx: TriggerContext): void;
  /**
   * Sets this state to the combination of `states`: the touched states of the merging panes, this one
   * among them only if it was touched. Read everything from `states` before writing to `this`.
   */
  protected abstract merge(states: this[]): void;
}

/** Whether the watermark has passed the last instant of the window. */
export function endOfWindowReached(ctx: TriggerContext): boolean {
  return ctx.watermark > ctx.windowMaxTimestamp;
}

/**
 * Whether the on-time firing has happened for the window as it is now. `onTimeAt` is the window's
 * max timestamp when it fired on time; a session that has since merged into a longer window is owed
 * a new on-time firing (Beam's AfterWatermark re-arms itself on merge when the merged window's end
 * has not been reached). Keeping the instant instead of a flag makes that decision without needing
 * the watermark at merge time.
 */
export function firedOnTimeFor(onTimeAt: Millis | undefined, ctx: TriggerContext): boolean {
  return onTimeAt !== undefined && ctx.windowMaxTimestamp <= onTimeAt;
}

/**
 * The on-time instant of merged panes: fired on time only if every pane had (otherwise some elements
 * are still owed their on-time pane), and then for the smallest of their windows.
 */
export function mergeOnTimeAt(values: (Millis | undefined)[]): Millis | undefined {
  let min = Infinity;
  for (const value of values) {
    if (value === undefined) return undefined;
    min = Math.min(min, value);
  }
  return values.length === 0 ? undefined : min;
}

/**
 * Merges the states of one sub-trigger across panes into the first of them and returns it (the
 * others are consumed). Untouched states are left out by mergeFrom, so the first may be one.
 */
export function mergeMachines(machines: TriggerStateMachine[]): TriggerStateMachine {
  const [target, ...rest] = machines;
  target.mergeFrom(rest);
  return target;
}
