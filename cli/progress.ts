/**
 * Progress of a long step, wherever the output goes: on a terminal a live bar (cli-progress),
 * redrawn in place; otherwise (piped, `| tee`, CI logs) a plain line every few seconds, so a log
 * shows the run advancing without a flood of redraws. One interface for every step — emulators
 * starting, publishing, a streaming job, the batch ETL.
 */
import { SingleBar } from "cli-progress";

/** A step's progress; `update` as often as you like, it is rate-limited here. */
export interface Progress {
  /** `done` of `total` (undefined: unknown), with a short `detail` ("38 000 lines/s"). */
  update(done: number, total?: number, detail?: string): void;
  /** Ends the bar (or prints the last plain line). */
  stop(): void;
  /**
   * Ends a step that ran to its end: the last count becomes the total, so an estimated total
   * (lines guessed from a file's size) never shows "2021 of 2029 (99%)" for a finished step.
   */
  complete(): void;
}

/** Where progress goes and how often a plain line is printed. */
export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Between plain lines when the stream is not a terminal (default 5 s). */
  plainEveryMs?: number;
  /** A bar even if the stream is not a terminal (tests), or never one. */
  bar?: boolean;
}

/** Progress of the step called `label` ("batch", "publishing"…). */
export function progress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  return (options.bar ?? stream.isTTY === true) ? barProgress(label, stream) : plainProgress(label, stream, options.plainEveryMs ?? 5_000);
}

function barProgress(label: string, stream: NodeJS.WriteStream): Progress {
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% {value}/{total} {detail}`,
    barsize: 30,
    hideCursor: true,
    clearOnComplete: false,
    // A redraw is cheap, but not free: 5 a second is live enough.
    fps: 5,
  });
  let started = false;
  let last = 0;
  return {
    update(done, total, detail = "") {
      const end = Math.max(total ?? done, done, 1);
      last = done;
      if (!started) {
        bar.start(end, done, { detail });
        started = true;
      }
      bar.setTotal(end);
      bar.update(done, { detail });
    },
    stop() {
      if (started) bar.stop();
    },
    complete() {
      if (started) bar.setTotal(Math.max(last, 1));
      this.stop();
    },
  };
}

function plainProgress(label: string, stream: NodeJS.WriteStream, everyMs: number): Progress {
  let lastAt = Date.now();
  let last: string | undefined;
  let printed: string | undefined;
  let latest: { done: number; total?: number; detail: string } | undefined;
  const line = (done: number, total: number | undefined, detail: string) =>
    `${label}: ${done}${total !== undefined ? ` of ${total} (${Math.floor((100 * done) / Math.max(total, 1))}%)` : ""}${detail ? `, ${detail}` : ""}`;
  return {
    update(done, total, detail = "") {
      latest = { done, total, detail };
      last = line(done, total, detail);
      if (Date.now() - lastAt < everyMs) return;
      lastAt = Date.now();
      stream.write(`${last}\n`);
      printed = last;
    },
    stop() {
      if (last !== undefined && last !== printed) stream.write(`${last}\n`);
    },
    complete() {
      if (latest?.total !== undefined) last = line(latest.done, latest.done, latest.detail);
      this.stop();
    },
  };
}
