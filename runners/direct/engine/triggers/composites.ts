/**
 * Triggers made of sub-triggers (Beam's RepeatedlyStateMachine, AfterFirstStateMachine,
 * AfterAllStateMachine, AfterEachStateMachine and OrFinallyStateMachine). Each holds the live states
 * of its sub-triggers and a `Fresh` per sub-trigger to reset one: resetting is replacing the state.
 */
import type { Millis } from "../../../../sdk/time";
import type { TriggerContext, TriggerStateMachine } from "./spec";
import { Fresh, mergeMachines, TriggerState } from "./base";

/**
 * Fires whenever the sub-trigger does; never finishes. Like Beam, it resets the sub-trigger when a
 * firing finished it, so Repeatedly(t) runs t, t, t, … in turn: for a once trigger (a count, a
 * delay) that is a reset at every firing, and a sub-trigger that fires several times before
 * finishing (an AfterEach, an AfterWatermark with late firings) runs to its end before starting over.
 */
export class RepeatedlyTrigger extends TriggerState {
  private sub: TriggerStateMachine;

  constructor(private readonly fresh: Fresh) {
    super();
    this.sub = fresh();
  }

  protected element(ctx: TriggerContext): void {
    this.sub.onElement(ctx);
  }

  shouldFire(ctx: TriggerContext): boolean {
    return this.sub.shouldFire(ctx);
  }

  protected fired(ctx: TriggerContext): void {
    this.sub.onFire(ctx);
    if (this.sub.isFinished()) this.sub = this.fresh();
  }

  isFinished(): boolean {
    return false;
  }

  nextProcessingTimeWakeUp(): Millis {
    return this.sub.nextProcessingTimeWakeUp();
  }

  protected merge(states: this[]): void {
    const sub = mergeMachines(states.map((s) => s.sub));
    this.sub = sub.isFinished() ? this.fresh() : sub;
  }
}

/** Fires once, when any sub-trigger fires (Beam's AfterFirst); finishes then. */
export class AfterAnyTrigger extends TriggerState {
  private subs: TriggerStateMachine[];
  private finished = false;

  constructor(fresh: Fresh[]) {
    super();
    this.subs = fresh.map((f) => f());
  }

  protected element(ctx: TriggerContext): void {
    if (this.finished) return;
    for (const sub of this.subs) sub.onElement(ctx);
  }

  shouldFire(ctx: TriggerContext): boolean {
    // A finished sub-trigger has fired (only a merge can leave one finished here), as in Beam.
    return !this.finished && this.subs.some((sub) => sub.isFinished() || sub.shouldFire(ctx));
  }

  protected fired(): void {
    // The sub-triggers' states no longer matter: this trigger is done (a Repeatedly around it
    // replaces it with a fresh one).
    this.finished = true;
  }

  isFinished(): boolean {
    return this.finished;
  }

  nextProcessingTimeWakeUp(): Millis {
    if (this.finished) return Infinity;
    return Math.min(...this.subs.map((sub) => sub.nextProcessingTimeWakeUp()));
  }

  protected merge(states: this[]): void {
    const live = states.filter((s) => !s.finished);
    this.finished = live.length === 0;
    if (!this.finished) this.subs = mergeSubTriggers(live.map((s) => s.subs));
  }
}

/**
 * Fires once, when every sub-trigger has fired; finishes then. Like Beam, a sub-trigger "has fired"
 * when it would fire now: sub-trigger states only lose readiness when they are fired, which happens
 * here only at the end, and the clocks only move forward, so the answer does not need latching —
 * and not latching is what lets a merged session re-check a watermark condition against its longer
 * window.
 */
export class AfterAllTrigger extends TriggerState {
  private subs: TriggerStateMachine[];
  private finished = false;
  /**
   * The latest processing time this trigger was asked about. A sub-trigger's wake-up at or before it
   * has been reached, so that sub-trigger is ready and waking for it again would spin: the next
   * wake-up is the earliest one still ahead.
   */
  private latestNow = -Infinity;

  constructor(fresh: Fresh[]) {
    super();
    this.subs = fresh.map((f) => f());
  }

  protected element(ctx: TriggerContext): void {
    this.see(ctx);
    if (this.finished) return;
    for (const sub of this.subs) if (!sub.isFinished()) sub.onElement(ctx);
  }

  shouldFire(ctx: TriggerContext): boolean {
    // Recording the clock does not change any answer of shouldFire, only of the wake-up query.
    this.see(ctx);
    return !this.finished && this.subs.every((sub) => sub.isFinished() || sub.shouldFire(ctx));
  }

  protected fired(ctx: TriggerContext): void {
    this.see(ctx);
    this.finished = true;
  }

  isFinished(): boolean {
    return this.finished;
  }

  nextProcessingTimeWakeUp(): Millis {
    if (this.finished) return Infinity;
    let next = Infinity;
    for (const sub of this.subs) {
      if (sub.isFinished()) continue;
      const wakeUp = sub.nextProcessingTimeWakeUp();
      if (wakeUp > this.latestNow) next = Math.min(next, wakeUp);
    }
    return next;
  }

  protected merge(states: this[]): void {
    const latestNow = Math.max(...states.map((s) => s.latestNow));
    const live = states.filter((s) => !s.finished);
    this.latestNow = latestNow;
    this.finished = live.length === 0;
    if (!this.finished) this.subs = mergeSubTriggers(live.map((s) => s.subs));
  }

  private see(ctx: TriggerContext): void {
    if (ctx.now > this.latestNow) this.latestNow = ctx.now;
  }
}

/**
 * Runs its sub-triggers in order (Beam's AfterEach.inOrder): fires when the current one fires, and
 * moves to the next one when the current one has finished; finished after the last. Only the
 * current sub-trigger sees elements, so each one counts from the firing that started it. As in Beam,
 * a sub-trigger that never finishes (a Repeatedly) is never moved past.
 */
export class AfterEachTrigger extends TriggerState {
  private index = 0;
  private current: TriggerStateMachine;
  private finished = false;

  constructor(private readonly fresh: Fresh[]) {
    super();
    this.current = fresh[0]();
  }

  protected element(ctx: TriggerContext): void {
    if (!this.finished) this.current.onElement(ctx);
  }

  shouldFire(ctx: TriggerContext): boolean {
    return !this.finished && this.current.shouldFire(ctx);
  }

  protected fired(ctx: TriggerContext): void {
    this.current.onFire(ctx);
    if (!this.current.isFinished()) return;
    this.index++;
    if (this.index >= this.fresh.length) this.finished = true;
    else this.current = this.fresh[this.index]();
  }

  isFinished(): boolean {
    return this.finished;
  }

  nextProcessingTimeWakeUp(): Millis {
    return this.finished ? Infinity : this.current.nextProcessingTimeWakeUp();
  }

  protected merge(states: this[]): void {
    const live = states.filter((s) => !s.finished);
    if (live.length === 0) {
      this.finished = true;
      return;
    }
    // The least advanced pane decides: a sub-trigger one pane has already fired may still be owed
    // a firing for the elements of another. States of panes that were further on are for a later
    // sub-trigger and are dropped (that sub-trigger starts afresh when its turn comes).
    const index = Math.min(...live.map((s) => s.index));
    const current = mergeMachines(live.filter((s) => s.index === index).map((s) => s.current));
    this.finished = false;
    this.index = index;
    this.current = current;
  }
}

/**
 * `main.orFinally(until)`: fires whenever `main` fires, until `until` fires — that firing is the
 * last. Like Beam, it also finishes when `main` finishes (a once `main` fires a single time), and
 * `until` is never reset by `main`'s firings: it tracks the pane across them.
 */
export class OrFinallyTrigger extends TriggerState {
  private main: TriggerStateMachine;
  private until: TriggerStateMachine;
  private finished = false;

  constructor(freshMain: Fresh, freshUntil: Fresh) {
    super();
    this.main = freshMain();
    this.until = freshUntil();
  }

  protected element(ctx: TriggerContext): void {
    if (this.finished) return;
    this.main.onElement(ctx);
    this.until.onElement(ctx);
  }

  shouldFire(ctx: TriggerContext): boolean {
    return !this.finished && (this.main.shouldFire(ctx) || this.until.shouldFire(ctx));
  }

  protected fired(ctx: TriggerContext): void {
    if (this.until.shouldFire(ctx)) {
      this.until.onFire(ctx);
      this.finished = true;
    } else {
      this.main.onFire(ctx);
      if (this.main.isFinished()) this.finished = true;
    }
  }

  isFinished(): boolean {
    return this.finished;
  }

  nextProcessingTimeWakeUp(): Millis {
    if (this.finished) return Infinity;
    return Math.min(this.main.nextProcessingTimeWakeUp(), this.until.nextProcessingTimeWakeUp());
  }

  protected merge(states: this[]): void {
    const live = states.filter((s) => !s.finished);
    if (live.length === 0) {
      this.finished = true;
      return;
    }
    const main = mergeMachines(live.map((s) => s.main));
    const until = mergeMachines(live.map((s) => s.until));
    this.finished = false;
    this.main = main;
    this.until = until;
  }
}

/** Sub-trigger i of the result is sub-trigger i of every state given, merged (the states share one spec). */
function mergeSubTriggers(subsOfEachState: TriggerStateMachine[][]): TriggerStateMachine[] {
  return subsOfEachState[0].map((_, i) => mergeMachines(subsOfEachState.map((subs) => subs[i])));
}
