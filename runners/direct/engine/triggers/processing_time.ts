/**
 * AfterProcessingTime.pastFirstElementInPane().plusDelayOf(delay) (Beam's
 * AfterProcessingTimeStateMachine): a once trigger on the runner's processing-time clock.
 */
import type { Millis } from "../../../../sdk/time";
import type { TriggerContext } from "./spec";
import { TriggerState } from "./base";

/**
 * Fires once, `delayMs` after the first element of the pane arrived (first since this state was
 * created — composites create a fresh one to reset it). Fires when `now >= first + delay`, so the
 * wake-up instant it reports is an instant at which it fires.
 */
export class AfterProcessingTimeTrigger extends TriggerState {
  /** Processing time of the pane's first element; undefined until one arrives. */
  private firstElementAt: Millis | undefined;
  private finished = false;

  constructor(private readonly delayMs: number) {
    super();
  }

  protected element(ctx: TriggerContext): void {
    // Later elements do not move the deadline: the delay runs from the first one (Beam keeps the
    // earliest target time).
    if (!this.finished && this.firstElementAt === undefined) this.firstElementAt = ctx.now;
  }

  shouldFire(ctx: TriggerContext): boolean {
    return !this.finished && this.firstElementAt !== undefined && ctx.now >= this.firstElementAt + this.delayMs;
  }

  protected fired(): void {
    this.finished = true;
    this.firstElementAt = undefined;
  }

  isFinished(): boolean {
    return this.finished;
  }

  nextProcessingTimeWakeUp(): Millis {
    if (this.finished || this.firstElementAt === undefined) return Infinity;
    return this.firstElementAt + this.delayMs;
  }

  protected merge(states: this[]): void {
    // Finished only if every pane had fired; otherwise the earliest first element of those still
    // waiting sets the deadline (Beam merges the target times with Min).
    const live = states.filter((s) => !s.finished);
    let first = Infinity;
    for (const s of live) if (s.firstElementAt !== undefined) first = Math.min(first, s.firstElementAt);
    this.finished = live.length === 0;
    this.firstElementAt = first === Infinity ? undefined : first;
  }
}
