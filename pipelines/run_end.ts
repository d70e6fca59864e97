/**
 * Why a streaming run ended, in words a summary can print: every message handled, interrupted
 * (Ctrl-C / SIGTERM), idle, a record or time limit, or the sources finishing. Read from the reason
 * the job drained with (the runner's stop conditions and signal handling name it).
 */

/** How a run ended. */
export interface RunEnd {
  kind: "all-handled" | "interrupted" | "idle" | "max-records" | "max-duration" | "sources-finished" | "other";
  /** The reason as the job gave it. */
  reason: string;
}

const KINDS: [RegExp, RunEnd["kind"]][] = [
  [/\bSIG(INT|TERM)\b/, "interrupted"],
  [/--idle-timeout/, "idle"],
  [/--max-records/, "max-records"],
  [/--max-duration/, "max-duration"],
];

/**
 * The end of a run that drained with `drainReason` (undefined: it was never drained, its sources
 * finished); `allHandled` is the reason the caller drains with once everything it sent was read.
 */
export function runEnd(drainReason: string | undefined, allHandled?: string): RunEnd {
  if (drainReason === undefined) return { kind: "sources-finished", reason: "the sources finished" };
  if (drainReason === allHandled) return { kind: "all-handled", reason: drainReason };
  const kind = KINDS.find(([pattern]) => pattern.test(drainReason))?.[1] ?? "other";
  return { kind, reason: drainReason };
}

/** One line for a summary: "interrupted (SIGINT received)". */
export function describeRunEnd(end: RunEnd): string {
  const words: Record<RunEnd["kind"], string> = {
    "all-handled": "every message handled",
    interrupted: "interrupted",
    idle: "idle",
    "max-records": "record limit reached",
    "max-duration": "time limit reached",
    "sources-finished": "the sources finished",
    other: "drained",
  };
  return `${words[end.kind]} (${end.reason})`;
}
