/**
 * Triggered windowing: `beam.windowInto` with a trigger, allowed lateness and accumulation mode.
 *
 * The SDK has no words for these, but `beam.windowInto(windowFn, baseStrategy)` copies a base
 * WindowingStrategy proto into the pipeline and only overwrites what the WindowFn decides (window
 * fn, window coder, merge status, one-window flag). So this module builds that base, filling every
 * other field: a field left unset would reach the runner as UNSPECIFIED.
 *
 * ```ts
 * pcoll.apply(windowed(beam.fixedWindows(60), {
 *   trigger: afterWatermark({ early: afterProcessingTime(5_000), late: afterCount(1) }),
 *   allowedLatenessMs: 10 * 60_000,
 *   accumulation: "accumulating",
 * }));
 * ```
 */
import * as beam from "apache-beam";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { Pipeline } from "apache-beam/internal/pipeline";
import { afterCount, afterProcessingTime, afterWatermark, defaultTrigger } from "./triggers";

export * from "./triggers";

/** Whether a pane holds only what arrived since the previous firing, or everything so far. */
export type AccumulationMode = "discarding" | "accumulating";

/** Whether a pane is emitted when it holds no new element. */
export type EmptyPaneBehavior = "fireIfNonEmpty" | "fireAlways";

/** How a window fires, how long it stays open to late data, and what its panes hold. */
export interface TriggeredWindowing {
  /** When panes fire. Default: {@link defaultTrigger}. */
  trigger?: runnerApi.Trigger;
  /** How long after the end of a window (in event time) its late data is still taken in. Default 0. */
  allowedLatenessMs?: number;
  /** Default "discarding": each pane holds only what arrived since the previous one. */
  accumulation?: AccumulationMode;
  /** The on-time pane when nothing arrived since the last early pane. Default "fireIfNonEmpty". */
  onTime?: EmptyPaneBehavior;
  /** The final pane, when the window expires, if nothing arrived since the last firing. Default "fireIfNonEmpty". */
  closing?: EmptyPaneBehavior;
}

/**
 * Windows a PCollection with `windowFn`, firing as `options.trigger` says. The output carries the
 * strategy; the next GroupByKey or Combine applies it.
 */
export function windowed<T, W extends beam.Window = beam.Window>(
  windowFn: beam.WindowFn<W>,
  options: TriggeredWindowing = {},
): beam.PTransform<beam.PCollection<T>, beam.PCollection<T>> {
  const allowedLatenessMs = options.allowedLatenessMs ?? 0;
  if (!Number.isSafeInteger(allowedLatenessMs) || allowedLatenessMs < 0) {
    throw new Error(`allowedLatenessMs must be a whole number ≥ 0, got ${allowedLatenessMs}`);
  }
  return beam.withName(
    `windowed(${beam.extractName(windowFn)})`,
    (input: beam.PCollection<T>, pipeline: Pipeline) =>
      input.apply(beam.windowInto<T, W>(windowFn, baseStrategy(options, allowedLatenessMs, pipeline))),
  );
}

function baseStrategy(options: TriggeredWindowing, allowedLatenessMs: number, pipeline: Pipeline): runnerApi.WindowingStrategy {
  return runnerApi.WindowingStrategy.create({
    trigger: options.trigger ?? defaultTrigger(),
    accumulationMode:
      options.accumulation === "accumulating"
        ? runnerApi.AccumulationMode_Enum.ACCUMULATING
        : runnerApi.AccumulationMode_Enum.DISCARDING,
    outputTime: runnerApi.OutputTime_Enum.END_OF_WINDOW,
    closingBehavior:
      options.closing === "fireAlways"
        ? runnerApi.ClosingBehavior_Enum.EMIT_ALWAYS
        : runnerApi.ClosingBehavior_Enum.EMIT_IF_NONEMPTY,
    onTimeBehavior:
      options.onTime === "fireAlways"
        ? runnerApi.OnTimeBehavior_Enum.FIRE_ALWAYS
        : runnerApi.OnTimeBehavior_Enum.FIRE_IF_NONEMPTY,
    allowedLateness: BigInt(allowedLatenessMs),
    // What the SDK itself puts in every strategy it builds without a base.
    environmentId: pipeline.defaultEnvironment,
  });
}

/** Options of {@link minuteWindowsWithEarlyUpdates}. */
export interface EarlyUpdatesOptions {
  /** How long after the end of a minute (in event time) late data still corrects it. */
  allowedLatenessMs: number;
}

/**
 * The live dashboard's windowing: revenue per minute, updated every `updateEveryMs` of processing
 * time while the minute is open, corrected by every late element within the allowed lateness.
 * Fixed 60 s windows, early panes every `updateEveryMs`, the on-time pane, one late pane per late
 * element; panes accumulate, so each one is the minute's full total so far.
 *
 * The on-time pane fires even when nothing arrived since the last early one: it is how the
 * dashboard learns that a minute is complete (until late data corrects it).
 */
export function minuteWindowsWithEarlyUpdates<T>(
  updateEveryMs: number,
  options: EarlyUpdatesOptions,
): beam.PTransform<beam.PCollection<T>, beam.PCollection<T>> {
  return windowed<T>(beam.fixedWindows(60), {
    trigger: afterWatermark({ early: afterProcessingTime(updateEveryMs), late: afterCount(1) }),
    allowedLatenessMs: options.allowedLatenessMs,
    accumulation: "accumulating",
    onTime: "fireAlways",
  });
}
