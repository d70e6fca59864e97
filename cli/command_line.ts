/**
 * What every command line of this project does alike: parse flags strictly (an unknown or malformed
 * flag is a usage error), and end the process the same way — a user's mistake (a flag, an input
 * that is not there, a topic that does not exist, a missing emulator variable) prints one line and
 * exits 2; a failure prints what failed and exits 1. Stacks only with `--verbose` or `DEBUG` set.
 */
import { parseArgs, type ParseArgsConfig } from "util";

/** A user's mistake: one line saying what and how to fix it, exit code 2. */
export class UsageError extends Error {}

/** A failure the message says all about (a service's refusal, a job that failed): one line, no stack. */
export class CommandFailure extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** A row of a command's flag table: drives both its parser and its `--help`. */
export interface FlagRow {
  name: string;
  type: "string" | "boolean";
  multiple?: boolean;
  default?: string;
  /** How the value is shown in `--help` (`N`, `gs://…`). */
  value?: string;
  help: string;
}

/** Flag `flag`'s text `value` as a whole number of at least `least`, or a UsageError saying what it got. */
export function wholeNumber(flag: string, value: string, least = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < least) throw new UsageError(`--${flag} must be a whole number of at least ${least}, got '${value}'`);
  return n;
}

/** `--verbose`'s row of a flag table: every command takes it ({@link parseFlags} adds it). */
export const VERBOSE_FLAG: FlagRow = { name: "verbose", type: "boolean", help: "print the stack of a failure (so does DEBUG=1)" };

/** The rows of a `--help`: each flag with its value, its help and its default. */
export function flagTable(rows: readonly FlagRow[]): string {
  return rows
    .map((f) => {
      const left = `  --${f.name}${f.value ? `=${f.value}` : ""}`;
      const def = f.default === undefined ? "" : ` (default: ${f.default})`;
      return `${left.padEnd(56)} ${f.help}${def}`;
    })
    .join("\n");
}

type StrictConfig<O> = { args: string[]; options: O; strict: true; allowPositionals: false };

/** The flag every command takes: stacks of failures (also with `DEBUG` set). */
const VERBOSE = { verbose: { type: "boolean" } } as const;

/** `parseArgs` in strict mode, with `--verbose` added and its errors as {@link UsageError}s. */
export function parseFlags<O extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<StrictConfig<O & typeof VERBOSE>>>["values"] {
  try {
    return parseArgs({ args: argv, options: { ...options, ...VERBOSE }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]} (--help lists the flags)`);
  }
}

/** Whether failures show their stack: `--verbose` on the command line, or `DEBUG` set. */
export function verbose(argv: readonly string[] = process.argv): boolean {
  return argv.includes("--verbose") || Boolean(process.env.DEBUG);
}

/**
 * What google-auth-library says when a client of Google's (not pointed at an emulator) finds no
 * credentials: on this project's machines, nearly always an emulator variable not exported.
 */
const NO_CREDENTIALS = /Could not load the default credentials/;

/** The user's way out when a Google client found neither an emulator variable nor credentials. */
const CREDENTIALS_HINT =
  "no Google credentials were found, and the emulator variables (PUBSUB_EMULATOR_HOST, BIGTABLE_EMULATOR_HOST) are not all set: " +
  "for the emulators, run `npm run emulators` in another shell and export the lines it prints; for Google Cloud, run `gcloud auth application-default login`";

/**
 * A reader that stops reading (`npm run pipeline -- --help | head -3`) is no failure of the command:
 * what it prints afterwards goes nowhere, and it goes on to its end — a job's results are its files
 * and tables, not its report. Node reports the closed pipe as an 'error' event on the stream, which
 * unhandled was a stack and exit 1.
 */
function ignoreClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on("error", ignoreClosedPipe);
}

function ignoreClosedPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== "EPIPE") throw error;
}

/** Runs a command's `main`, ending the process as described above; `what` names it in failures. */
export function runCommand(main: () => Promise<void>, what: string): void {
  ignoreClosedOutput();
  main().catch((error: unknown) => {
    // A library's own error only: a UsageError or CommandFailure already says what to do.
    if (!(error instanceof UsageError) && !(error instanceof CommandFailure) && error instanceof Error && NO_CREDENTIALS.test(error.message)) {
      error = Object.assign(new UsageError(CREDENTIALS_HINT), { stack: error.stack });
    }
    const stack = error instanceof Error && verbose() ? `\n${error.stack}` : "";
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}${stack}\n`);
      process.exit(2);
    }
    if (error instanceof CommandFailure) {
      process.stderr.write(`${what} failed: ${error.message}${stack}\n`);
      process.exit(error.exitCode);
    }
    const message = error instanceof Error ? error.message : String(error);
    const hint = error instanceof Error && !stack ? "\n(the stack: run again with --verbose, or DEBUG=1)" : "";
    process.stderr.write(`${what} failed: ${message}${stack}${hint}\n`);
    process.exit(1);
  });
}
