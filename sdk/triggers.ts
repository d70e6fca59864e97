/**
 * Triggers: when a grouping emits a pane for a window. Each constructor returns the standard
 * `runnerApi.Trigger` proto, the same message Beam's Java and Python SDKs write, so every runner
 * reads it. Semantics are Beam's (https://beam.apache.org/documentation/programming-guide/#triggers).
 *
 * ```ts
 * afterWatermark({ early: afterProcessingTime(5_000), late: afterCount(1) })
 * ```
 */
import type * as runnerApi from "apache-beam/proto/beam_runner_api";

/** What the SDK uses when no trigger is given: fire when the watermark passes the end of the window, then once per late element. */
export function defaultTrigger(): runnerApi.Trigger {
  return { trigger: { oneofKind: "default", default: {} } };
}

/** The optional firings around the on-time pane of {@link afterWatermark}. */
export interface WatermarkFirings {
  /** Fires speculative (EARLY) panes before the watermark reaches the end of the window. */
  early?: runnerApi.Trigger;
  /** Fires LATE panes for data that arrives after the watermark passed the end of the window. */
  late?: runnerApi.Trigger;
}

/**
 * Fires the ON_TIME pane when the watermark passes the end of the window, with optional EARLY
 * firings before and LATE firings after. `early` and `late` repeat on their own: `afterCount(1)`
 * and `repeatedly(afterCount(1))` mean the same here.
 */
export function afterWatermark(firings: WatermarkFirings = {}): runnerApi.Trigger {
  const afterEndOfWindow: runnerApi.Trigger_AfterEndOfWindow = {};
  // The proto's early and late firings are implicitly repeated, and Java's translation expects a
  // once-trigger there (Python strips its own Repeatedly the same way), so an explicit repeat goes.
  if (firings.early) afterEndOfWindow.earlyFirings = withoutRepeat(firings.early);
  if (firings.late) afterEndOfWindow.lateFirings = withoutRepeat(firings.late);
  return { trigger: { oneofKind: "afterEndOfWindow", afterEndOfWindow } };
}

function withoutRepeat(trigger: runnerApi.Trigger): runnerApi.Trigger {
  const inner = trigger.trigger;
  return inner.oneofKind === "repeat" && inner.repeat.subtrigger ? inner.repeat.subtrigger : trigger;
}

/** Fires once, `delayMs` of processing time after the first element of the pane arrived. */
export function afterProcessingTime(delayMs: number): runnerApi.Trigger {
  requireWholeNumber("afterProcessingTime delay (ms)", delayMs, 0);
  return {
    trigger: {
      oneofKind: "afterProcessingTime",
      afterProcessingTime: {
        timestampTransforms: [{ timestampTransform: { oneofKind: "delay", delay: { delayMillis: BigInt(delayMs) } } }],
      },
    },
  };
}

/** Fires once, when the pane holds at least `count` elements. */
export function afterCount(count: number): runnerApi.Trigger {
  requireWholeNumber("afterCount count", count, 1);
  return { trigger: { oneofKind: "elementCount", elementCount: { elementCount: count } } };
}

/** Fires whenever `trigger` would, starting it afresh after each firing; never finishes. */
export function repeatedly(trigger: runnerApi.Trigger): runnerApi.Trigger {
  return { trigger: { oneofKind: "repeat", repeat: { subtrigger: trigger } } };
}

/** Fires as soon as any of `triggers` fires, and finishes then. */
export function afterAny(...triggers: runnerApi.Trigger[]): runnerApi.Trigger {
  requireSubtriggers("afterAny", triggers);
  return { trigger: { oneofKind: "afterAny", afterAny: { subtriggers: triggers } } };
}

/** Fires once every one of `triggers` has fired, and finishes then. */
export function afterAll(...triggers: runnerApi.Trigger[]): runnerApi.Trigger {
  requireSubtriggers("afterAll", triggers);
  return { trigger: { oneofKind: "afterAll", afterAll: { subtriggers: triggers } } };
}

/** Fires each of `triggers` in turn, moving to the next when the current one finishes; finishes after the last. */
export function afterEach(...triggers: runnerApi.Trigger[]): runnerApi.Trigger {
  requireSubtriggers("afterEach", triggers);
  return { trigger: { oneofKind: "afterEach", afterEach: { subtriggers: triggers } } };
}

/** Fires as `main` does until `until` fires; then fires a last time and finishes. */
export function orFinally(main: runnerApi.Trigger, until: runnerApi.Trigger): runnerApi.Trigger {
  return { trigger: { oneofKind: "orFinally", orFinally: { main, finally: until } } };
}

/** Fires on every element; never finishes. */
export function always(): runnerApi.Trigger {
  return { trigger: { oneofKind: "always", always: {} } };
}

/** Never fires: the only pane is the one emitted when the window expires. */
export function never(): runnerApi.Trigger {
  return { trigger: { oneofKind: "never", never: {} } };
}

function requireWholeNumber(what: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`${what} must be a whole number ≥ ${min}, got ${value}`);
  }
}

function requireSubtriggers(what: string, triggers: runnerApi.Trigger[]): void {
  if (triggers.length === 0) throw new Error(`${what} needs at least one trigger`);
}
