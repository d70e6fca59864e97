/**
 * Triggers that look only at element arrivals: AfterPane.elementCountAtLeast (Beam's
 * AfterPaneStateMachine), and the two degenerate ones, always and never.
 */
import type { Millis } from "../../../../sdk/time";
import { TriggerState } from "./base";

/** Fires once, when at least `count` elements arrived since this state was created; finishes then. */
export class AfterCountTrigger extends TriggerState {
  private elements = 0;
  private finished = false;

  constructor(private readonly count: number) {
    super();
  }

  protected element(): void {
    if (!this.finished) this.elements++;
  }

  shouldFire(): boolean {
    return !this.finished && this.elements >= this.count;
  }

  protected fired(): void {
    this.finished = true;
    this.elements = 0;
  }

  isFinished(): boolean {
    return this.finished;
  }

  nextProcessingTimeWakeUp(): Millis {
    return Infinity;
  }

  protected merge(states: this[]): void {
    // The merged pane holds the elements of every pane still counting. Finished only if all had
    // fired: Beam finishes it if any had, but only in panes its runner has already closed; here the
    // conservative choice keeps a merged pane able to fire for elements not yet emitted.
    const live = states.filter((s) => !s.finished);
    this.finished = live.length === 0;
    this.elements = live.reduce((sum, s) => sum + s.elements, 0);
  }
}

/** Fires whenever an element arrived since the last firing; never finishes (Repeatedly(AfterCount(1))). */
export class AlwaysTrigger extends TriggerState {
  private elementSinceFiring = false;

  protected element(): void {
    this.elementSinceFiring = true;
  }

  shouldFire(): boolean {
    return this.elementSinceFiring;
  }

  protected fired(): void {
    this.elementSinceFiring = false;
  }

  isFinished(): boolean {
    return false;
  }

  nextProcessingTimeWakeUp(): Millis {
    return Infinity;
  }

  protected merge(states: this[]): void {
    this.elementSinceFiring = states.some((s) => s.elementSinceFiring);
  }
}

/** Never fires and never finishes: only the end of the window's lifetime emits a pane. */
export class NeverTrigger extends TriggerState {
  protected element(): void {}

  shouldFire(): boolean {
    return false;
  }

  protected fired(): void {}

  isFinished(): boolean {
    return false;
  }

  nextProcessingTimeWakeUp(): Millis {
    return Infinity;
  }

  protected merge(): void {}
}
