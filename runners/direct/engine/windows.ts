/**
 * Window arithmetic the engine needs: a stable identity for grouping, the end of a window in
 * engine time, and session merging. Windows are the SDK's own objects (GlobalWindow,
 * IntervalWindow), so what a DoFn sees through `windowParam()` is what the SDK would give it.
 */
import { GlobalWindow, IntervalWindow, Window } from "apache-beam/values";
import { Millis, toMillis } from "../../../sdk/time";

/** A string that is equal for equal windows: the grouping identity of a window. */
export function windowKey(window: Window): string {
  if (window instanceof IntervalWindow) return `${window.start.toString()}:${window.end.toString()}`;
  if (window instanceof GlobalWindow) return "global";
  const w = window as Partial<IntervalWindow>;
  if (w.start !== undefined && w.end !== undefined) return `${w.start.toString()}:${w.end.toString()}`;
  return "global";
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
