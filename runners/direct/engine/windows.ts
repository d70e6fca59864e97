/**
 * Window arithmetic the engine needs: a stable identity for grouping, the end of a window in
 * engine time, and session merging. Windows are the SDK's own objects (GlobalWindow,
 * IntervalWindow), so what a DoFn sees through `windowParam()` is what the SDK would give it.
 */
import type Long from "long";
import { GlobalWindow, IntervalWindow, Window } from "apache-beam/values";
import { Millis, toMillis } from "../../../sdk/time";

/**
 * A string that is equal for equal windows: the grouping identity of a window, `start:end` in
 * milliseconds. It is computed for every element a grouping takes in, and each element carries a
 * window object of its own, so the last interval's key is kept and reused while the bounds repeat.
 */
export function windowKey(window: Window): string {
  if (window instanceof IntervalWindow) return intervalKey(window.start, window.end);
  if (window instanceof GlobalWindow) return "global";
  const w = window as Partial<IntervalWindow>;
  if (w.start !== undefined && w.end !== undefined) return intervalKey(w.start, w.end);
  return "global";
}

/** The bounds of the last interval keyed, and its key. */
const lastInterval = { startLow: 0, startHigh: 0, endLow: 0, endHigh: 0, key: "" };

function intervalKey(start: Long, end: Long): string {
  const last = lastInterval;
  if (last.key !== "" && start.low === last.startLow && start.high === last.startHigh && end.low === last.endLow && end.high === last.endHigh) {
    return last.key;
  }
  const key = `${decimal(start)}:${decimal(end)}`;
  last.startLow = start.low;
  last.startHigh = start.high;
  last.endLow = end.low;
  last.endHigh = end.high;
  last.key = key;
  return key;
}

/** What `long.toString()` gives, without its digit-by-digit division when the value fits a double exactly. */
function decimal(long: Long): string {
  // |value| < 2^53 exactly when the high word is within ±2^21.
  return !long.unsigned && long.high >= -0x200000 && long.high < 0x200000 ? String(long.toNumber()) : long.toString();
}

/** The last instant that belongs to the window: its panes are on time until the watermark passes it. */
export function windowMaxTimestamp(window: Window): Millis {
  return toMillis(window.maxTimestamp());
}

/** True for the window that spans all time. */
export function isGlobal(window: Window): boolean {
  return !(window instanceof IntervalWindow) && (window as Partial<IntervalWindow>).start === undefined;
}

/**
 * Merges overlapping interval windows (sessions): returns, for each input window key, the key of the
 * merged window it belongs to, and the merged windows themselves.
 */
export function mergeOverlapping(windows: IntervalWindow[]): { merged: IntervalWindow[]; into: Map<string, IntervalWindow> } {
  const sorted = [...windows].sort((a, b) => a.start.compare(b.start));
  const merged: IntervalWindow[] = [];
  const members: IntervalWindow[][] = [];
  for (const w of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && w.start.lessThan(last.end)) {
      if (w.end.greaterThan(last.end)) merged[merged.length - 1] = new IntervalWindow(last.start, w.end);
      members[members.length - 1].push(w);
    } else {
      merged.push(w);
      members.push([w]);
    }
  }
  const into = new Map<string, IntervalWindow>();
  merged.forEach((m, i) => {
    for (const w of members[i]) into.set(windowKey(w), m);
  });
  return { merged, into };
}
