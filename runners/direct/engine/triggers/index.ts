/**
 * Triggers as state machines: one per (window, key) pane, built from the plain TriggerSpec the
 * handlers translate out of the windowing strategy. Semantics follow Beam's runners-core
 * TriggerStateMachines; each kind is a class in a file next to this one, this file only assembles them.
 *
 * How the engine drives one (the contract in trigger_spec.ts):
 * - `onElement(ctx)` for every element added to the pane, before asking `shouldFire`;
 * - `shouldFire(ctx)` after an element, a watermark advance, a processing-time wake-up or a merge —
 *   once per such event, not in a loop until false (a Repeatedly(AfterWatermark) keeps answering
 *   true after the end of the window, as in Beam; its empty panes are the engine's to drop);
 * - when it is true, `onFire(ctx)` with the same ctx (whether a firing is early, on time or late is
 *   decided by the watermark in it), whether or not the engine emits the pane;
 * - `isFinished()` after `onFire`: the pane then closes for its key;
 * - `nextProcessingTimeWakeUp()` after any of the above, to set a processing-time timer.
 */
import type { TriggerSpec, TriggerStateMachine } from "./spec";
import type { Fresh } from "./base";
import { AfterAllTrigger, AfterAnyTrigger, AfterEachTrigger, OrFinallyTrigger, RepeatedlyTrigger } from "./composites";
import { AfterCountTrigger, AlwaysTrigger, NeverTrigger } from "./elements";
import { AfterProcessingTimeTrigger } from "./processing_time";
import { AfterWatermarkTrigger, DefaultTrigger } from "./watermark";

/**
 * Compiled specs: a grouping creates a state machine per pane, and composites create fresh
 * sub-trigger states at every reset, so the spec tree is validated and turned into constructors once.
 */
const compiled = new WeakMap<TriggerSpec, Fresh>();

/**
 * Creates the initial state of `spec` for one pane.
 *
 * @throws RangeError when the spec is malformed (a negative count or delay, a composite without
 *   sub-triggers, an unknown kind).
 */
export function triggerStateMachine(spec: TriggerSpec): TriggerStateMachine {
  return compile(spec)();
}

function compile(spec: TriggerSpec): Fresh {
  let fresh = compiled.get(spec);
  if (fresh === undefined) {
    fresh = build(spec);
    compiled.set(spec, fresh);
  }
  return fresh;
}

function build(spec: TriggerSpec): Fresh {
  switch (spec.kind) {
    case "default":
      return () => new DefaultTrigger();
    case "afterWatermark": {
      const early = spec.early === undefined ? undefined : compile(spec.early);
      const late = spec.late === undefined ? undefined : compile(spec.late);
      return () => new AfterWatermarkTrigger(early, late);
    }
    case "afterProcessingTime": {
      const delayMs = nonNegative(spec.delayMs, "afterProcessingTime delayMs");
      return () => new AfterProcessingTimeTrigger(delayMs);
    }
    case "afterCount": {
      const count = nonNegative(spec.count, "afterCount count");
      return () => new AfterCountTrigger(count);
    }
    case "repeatedly": {
      const sub = compile(spec.trigger);
      return () => new RepeatedlyTrigger(sub);
    }
    case "afterAny": {
      const subs = compileAll(spec.triggers, "afterAny");
      return () => new AfterAnyTrigger(subs);
    }
    case "afterAll": {
      const subs = compileAll(spec.triggers, "afterAll");
      return () => new AfterAllTrigger(subs);
    }
    case "afterEach": {
      const subs = compileAll(spec.triggers, "afterEach");
      return () => new AfterEachTrigger(subs);
    }
    case "orFinally": {
      const main = compile(spec.main);
      const until = compile(spec.until);
      return () => new OrFinallyTrigger(main, until);
    }
    case "always":
      return () => new AlwaysTrigger();
    case "never":
      return () => new NeverTrigger();
    default: {
      const unknown: never = spec;
      throw new RangeError(`unknown trigger kind: ${JSON.stringify((unknown as { kind?: unknown }).kind)}`);
    }
  }
}

function compileAll(specs: TriggerSpec[], kind: string): Fresh[] {
  if (!Array.isArray(specs) || specs.length === 0) throw new RangeError(`${kind} needs at least one sub-trigger`);
  return specs.map(compile);
}

function nonNegative(value: number, what: string): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${what} must be a non-negative finite number, got ${value}`);
  }
  return value;
}
