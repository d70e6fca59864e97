/**
 * The one logger of every command (pino): what a run does, step by step, on stderr — as JSON lines
 * for machines (`--log-format=json`) or as short lines for people (`pretty`, the default). Fields
 * name where a line comes from: `step` (emulators, publish, stream, batch…), `job`, and `event_id`
 * for lines about one record. Reports and summaries are not logs: they go to stdout as text.
 */
import pino, { type Logger } from "pino";

/** How log lines are written. */
export type LogFormat = "json" | "pretty";
/** pino's levels, quietest last. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Fields of a JSON line that a pretty line leaves out (they are the same for every line). */
const IMPLIED = new Set(["level", "time", "pid", "hostname", "msg"]);
const LEVEL_NAMES: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

/** A JSON log line as a person reads it: `warn: the message (step=batch job=…)`. */
export function prettyLine(json: string): string {
  const entry = JSON.parse(json) as Record<string, unknown>;
  const level = Number(entry.level);
  const fields = Object.entries(entry)
    .filter(([key]) => !IMPLIED.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  const prefix = level >= 40 ? `${LEVEL_NAMES[level] ?? level}: ` : "";
  return `${prefix}${entry.msg ?? ""}${fields.length > 0 ? ` (${fields.join(" ")})` : ""}\n`;
}

let logger: Logger | undefined;

/** Sets the format and level of {@link log}; call once, from a command's main, before logging. */
export function configureLog(format: LogFormat = "pretty", level: LogLevel = "info", stream: NodeJS.WritableStream = process.stderr): Logger {
  const destination = format === "json" ? stream : { write: (line: string) => stream.write(prettyLine(line)) };
  logger = pino({ level, base: undefined }, destination);
  return logger;
}

/** The logger (pretty, level info, until {@link configureLog} says otherwise). */
export function log(): Logger {
  return (logger ??= configureLog());
}
