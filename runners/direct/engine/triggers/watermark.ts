/**
 * The event-time triggers: the default trigger and AfterWatermark with its early and late firings
 * (Beam's DefaultTriggerStateMachine and AfterWatermarkStateMachine).
 */
import type { Millis } from "../../../../sdk/time";
import type { TriggerContext, TriggerStateMachine } from "./spec";
import { endOfWindowReached, firedOnTimeFor, Fresh, mergeMachines, mergeOnTimeAt, TriggerState } from "./base";

/**
 * Fires when the watermark passes the end of the window, then once per late arrival; never finishes.
 * Beam's default trigger fires at every timer past the end and leaves empty panes to the runner; here
 * it asks for a firing only when there is something to fire for (the on-time pane, or an element
 * since the last firing), so the engine never has to discard a stream of empty late panes.
 */
export class DefaultTrigger extends TriggerState {
  /** The window's max timestamp when it fired on time; undefined before (see firedOnTimeFor). */
  private onTimeAt: Millis | undefined;
  private elementSinceFiring = false;

  protected element(): void {
    this.elementSinceFiring = true;
  }

  shouldFire(ctx: TriggerContext): boolean {
    return endOfWindowReached(ctx) && (!firedOnTimeFor(this.onTimeAt, ctx) || this.elementSinceFiring);
  }

  protected fired(ctx: TriggerContext): void {
    if (endOfWindowReached(ctx)) this.onTimeAt = Math.max(this.onTimeAt ?? -Infinity, ctx.windowMaxTimestamp);
    this.elementSinceFiring = false;
  }

  isFinished(): boolean {
    return false;
  }

  nextProcessingTimeWakeUp(): Millis {
    return Infinity;
  }

  protected merge(states: this[]): void {
    const onTimeAt = mergeOnTimeAt(states.map((s) => s.onTimeAt));
    const elementSinceFiring = states.some((s) => s.elementSinceFiring);
    this.onTimeAt = onTimeAt;
    this.elementSinceFiring = elementSinceFiring;
  }
}

/**
 * AfterWatermark.pastEndOfWindow(), with optional early and late firings. Three phases:
 * - early (watermark at or before the window's max timestamp): fire when `early` does, then reset it,
 *   because Beam repeats the early trigger implicitly;
 * - on time: once the watermark has passed, fire (whatever `early` says) — the ON_TIME pane;
 * - late (after the on-time firing): fire when `late` does, resetting it likewise; without `late` the
 *   trigger finished at the on-time firing.
 * Only the trigger of the current phase sees elements, so `late` counts from the on-time firing
 * (Beam clears the late trigger at that transition for the same reason).
 */
export class AfterWatermarkTrigger extends TriggerState {
  private early: TriggerStateMachine | undefined;
  private late: TriggerStateMachine | undefined;
  /** The window's max timestamp when it fired on time; undefined before (see firedOnTimeFor). */
  private onTimeAt: Millis | undefined;

  constructor(
    private readonly freshEarly: Fresh | undefined,
    private readonly freshLate: Fresh | undefined,
  ) {
    super();
    this.early = freshEarly?.();
    this.late = freshLate?.();
  }

  protected element(ctx: TriggerContext): void {
    if (firedOnTimeFor(this.onTimeAt, ctx)) this.late?.onElement(ctx);
    else this.early?.onElement(ctx);
  }

  shouldFire(ctx: TriggerContext): boolean {
    if (firedOnTimeFor(this.onTimeAt, ctx)) return this.late?.shouldFire(ctx) ?? false;
    return endOfWindowReached(ctx) || (this.early?.shouldFire(ctx) ?? false);
  }

  protected fired(ctx: TriggerContext): void {
    if (firedOnTimeFor(this.onTimeAt, ctx)) {
      this.late = this.freshLate?.();
    } else if (endOfWindowReached(ctx)) {
      // The on-time firing subsumes an early firing that was due: both sub-triggers start over.
      this.onTimeAt = ctx.windowMaxTimestamp;
      this.early = this.freshEarly?.();
      this.late = this.freshLate?.();
    } else {
      this.early = this.freshEarly?.();
    }
  }

  isFinished(): boolean {
    return this.onTimeAt !== undefined && this.freshLate === undefined;
  }

  nextProcessingTimeWakeUp(): Millis {
    // Without a context the phase is not known for sure (a merge may have reopened the early phase),
    // but the sub-trigger of the inactive phase is in its initial state and so asks for nothing.
    return Math.min(this.early?.nextProcessingTimeWakeUp() ?? Infinity, this.late?.nextProcessingTimeWakeUp() ?? Infinity);
  }

  protected merge(states: this[]): void {
    const onTimeAt = mergeOnTimeAt(states.map((s) => s.onTimeAt));
    const early = this.freshEarly && mergeMachines(states.map((s) => s.early!));
    // Beam: still early (some pane owes its on-time firing) → the late trigger starts afresh;
    // all late → the late trigger's states combine.
    const late = this.freshLate && (onTimeAt === undefined ? this.freshLate() : mergeMachines(states.map((s) => s.late!)));
    this.onTimeAt = onTimeAt;
    this.early = early;
    this.late = late;
  }
}
