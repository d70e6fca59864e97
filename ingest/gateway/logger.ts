/**
 * Structured logs: one JSON object per line on stderr — `time`, `level`, `msg` and the fields of
 * the event — so a log shipper can index them and a person can still read them.
 */

/** Levels, least severe first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Writes one log line; fields are merged into the line. */
export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

/** A logger writing lines at `minimum` or above to `write` (stderr by default). */
export function jsonLogger(minimum: LogLevel, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const threshold = LOG_LEVELS.indexOf(minimum);
  return (level, msg, fields) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
}

/** A logger that drops everything (library use, tests that do not look at logs). */
export const silentLogger: Logger = () => undefined;
