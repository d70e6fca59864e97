/**
 * What every command line of this project does alike: parse flags strictly (an unknown or malformed
 * flag is a usage error), and end the process the same way — usage errors print the message and the
 * help and exit 2, failures print what failed and exit 1.
 */
import { parseArgs, type ParseArgsConfig } from "util";

/** A usage mistake: reported with the help, exit code 2. */
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

type StrictConfig<O> = { args: string[]; options: O; strict: true; allowPositionals: false };

/** `parseArgs` in strict mode, with its errors as {@link UsageError}s. */
export function parseFlags<O extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<StrictConfig<O>>>["values"] {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Runs a command's `main`, ending the process as described above; `what` names it in failures. */
export function runCommand(main: () => Promise<void>, help: () => string, what: string): void {
  main().catch((error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n\n${help()}`);
      process.exit(2);
    }
    if (error instanceof CommandFailure) {
      process.stderr.write(`${what} failed: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`${what} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
