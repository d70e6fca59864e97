/**
 * A grouping's WindowingStrategy proto → the plain data the engine runs: its trigger as a
 * TriggerSpec, allowed lateness, accumulation, and what to do with empty on-time and closing panes.
 * The engine never sees protos; this is where they stop.
 */
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { PaneWindowing } from "../engine/grouping";
import type { TriggerSpec } from "../engine/triggers/spec";

/**
 * Reads the windowing of a grouping from its input's WindowingStrategy. UNSPECIFIED enum values
 * (a proto3 field left unset) read as Beam's defaults (Java's `WindowingStrategy.globalDefault()`):
 * discarding, closing only if non-empty, on-time always, output at the end of the window.
 */
export function windowingOf(strategy: runnerApi.WindowingStrategy): PaneWindowing {
  if (strategy.accumulationMode === runnerApi.AccumulationMode_Enum.RETRACTING) {
    throw new Error("accumulation mode RETRACTING is unsupported: no Beam runner implements retractions");
  }
  return {
    trigger: triggerSpecOf(strategy.trigger),
    allowedLatenessMs: Number(strategy.allowedLateness),
    accumulating: strategy.accumulationMode === runnerApi.AccumulationMode_Enum.ACCUMULATING,
    onTimeFireAlways: strategy.onTimeBehavior !== runnerApi.OnTimeBehavior_Enum.FIRE_IF_NONEMPTY,
    closingFireAlways: strategy.closingBehavior === runnerApi.ClosingBehavior_Enum.EMIT_ALWAYS,
    outputTime: outputTimeOf(strategy.outputTime),
  };
}

function outputTimeOf(outputTime: runnerApi.OutputTime_Enum): PaneWindowing["outputTime"] {
  switch (outputTime) {
    case runnerApi.OutputTime_Enum.EARLIEST_IN_PANE:
      return "earliestInPane";
    case runnerApi.OutputTime_Enum.LATEST_IN_PANE:
      return "latestInPane";
    default:
      return "endOfWindow";
  }
}

/**
 * Translates a Trigger proto into the engine's TriggerSpec. No trigger at all is the default trigger.
 * Throws, naming the trigger, for what the engine cannot run: AfterSynchronizedProcessingTime and
 * processing-time triggers aligned to a period (`alignTo`).
 */
export function triggerSpecOf(trigger: runnerApi.Trigger | undefined): TriggerSpec {
  if (trigger === undefined) return { kind: "default" };
  const t = trigger.trigger;
  switch (t.oneofKind) {
    case "default":
      return { kind: "default" };
    case "afterEndOfWindow": {
      // Keys are left out rather than set to undefined: "no early firings" is their absence.
      const spec: Extract<TriggerSpec, { kind: "afterWatermark" }> = { kind: "afterWatermark" };
      if (t.afterEndOfWindow.earlyFirings) spec.early = triggerSpecOf(t.afterEndOfWindow.earlyFirings);
      if (t.afterEndOfWindow.lateFirings) spec.late = triggerSpecOf(t.afterEndOfWindow.lateFirings);
      return spec;
    }
    case "afterProcessingTime":
      return { kind: "afterProcessingTime", delayMs: delayOf(t.afterProcessingTime.timestampTransforms) };
    case "elementCount":
      return { kind: "afterCount", count: t.elementCount.elementCount };
    case "repeat":
      return { kind: "repeatedly", trigger: triggerSpecOf(required("repeat", "subtrigger", t.repeat.subtrigger)) };
    case "afterAny":
      return { kind: "afterAny", triggers: t.afterAny.subtriggers.map(triggerSpecOf) };
    case "afterAll":
      return { kind: "afterAll", triggers: t.afterAll.subtriggers.map(triggerSpecOf) };
    case "afterEach":
      return { kind: "afterEach", triggers: t.afterEach.subtriggers.map(triggerSpecOf) };
    case "orFinally":
      return {
        kind: "orFinally",
        main: triggerSpecOf(required("orFinally", "main", t.orFinally.main)),
        until: triggerSpecOf(required("orFinally", "finally", t.orFinally.finally)),
      };
    case "always":
      return { kind: "always" };
    case "never":
      return { kind: "never" };
    case "afterSynchronizedProcessingTime":
      throw new Error(
        "trigger afterSynchronizedProcessingTime is unsupported: it fires on the processing time of upstream " +
          "stages, which this runner does not track",
      );
    case undefined:
      throw new Error("a Trigger proto with no trigger set is invalid");
  }
}

/** The delay of an AfterProcessingTime trigger: the sum of its Delay transforms (none: fire at once). */
function delayOf(transforms: runnerApi.TimestampTransform[]): number {
  let delayMs = 0;
  for (const { timestampTransform } of transforms) {
    if (timestampTransform.oneofKind === "delay") {
      delayMs += Number(timestampTransform.delay.delayMillis);
    } else if (timestampTransform.oneofKind === "alignTo") {
      const { period, offset } = timestampTransform.alignTo;
      throw new Error(
        `trigger afterProcessingTime aligned to a period (alignTo period ${period} ms, offset ${offset} ms) is unsupported`,
      );
    } else {
      throw new Error("trigger afterProcessingTime has a timestamp transform with nothing set");
    }
  }
  return delayMs;
}

function required(trigger: string, field: string, sub: runnerApi.Trigger | undefined): runnerApi.Trigger {
  if (sub === undefined) throw new Error(`trigger ${trigger} is missing its required '${field}' trigger`);
  return sub;
}
