/**
 * Progress of a run on stderr: a bar redrawn in place with MB/s and ETA when stderr is a terminal,
 * a plain line every few seconds otherwise (logs, CI), and a last line when it ends.
 */

/** What the generator reports as files land. */
export interface ProgressUpdate {
  rowsDone: number;
  rowsTotal: number;
  bytesWritten: number;
  filesWritten: number;
  filesTotal: number;
}

/** Receives updates; `end` prints the last line. */
export interface ProgressReporter {
  update(progress: ProgressUpdate): void;
  end(): void;
}

const LINE_EVERY_MS = 5_000;
const BAR_WIDTH = 30;

/** A reporter writing to `stream` (a bar when it is a TTY); `nowMs` is injectable for tests. */
export function progressReporter(stream: NodeJS.WriteStream, nowMs: () => number = Date.now): ProgressReporter {
  const startMs = nowMs();
  const tty = stream.isTTY === true;
  let lastLineMs = startMs;
  let latest: ProgressUpdate | undefined;
  return {
    update(progress) {
      latest = progress;
      const now = nowMs();
      if (tty) stream.write(`\r\x1b[2K${formatProgress(progress, (now - startMs) / 1000, true)}`);
      else if (now - lastLineMs >= LINE_EVERY_MS) {
        lastLineMs = now;
        stream.write(`${formatProgress(progress, (now - startMs) / 1000, false)}\n`);
      }
    },
    end() {
      if (latest === undefined) return;
      const line = formatProgress(latest, (nowMs() - startMs) / 1000, tty);
      stream.write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
    },
  };
}

/** One progress line: share done, files, rows, MB written, MB/s and the time left at this pace. */
export function formatProgress(p: ProgressUpdate, seconds: number, bar: boolean): string {
  const share = p.rowsTotal === 0 ? 1 : p.rowsDone / p.rowsTotal;
  const filled = Math.round(share * BAR_WIDTH);
  const mb = p.bytesWritten / 1e6;
  const rate = seconds > 0 ? mb / seconds : 0;
  const eta = share > 0 && share < 1 ? (seconds * (1 - share)) / share : 0;
  const head = bar ? `[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ` : "";
  return (
    `${head}${(share * 100).toFixed(1)}%  files ${p.filesWritten}/${p.filesTotal}  rows ${p.rowsDone}/${p.rowsTotal}  ` +
    `${mb.toFixed(1)} MB  ${rate.toFixed(1)} MB/s  ETA ${formatSeconds(eta)}`
  );
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}
