/**
 * A benchmark's command line, as every command of this project has it (cli/command_line.ts):
 * `--help` prints what the benchmark measures and its flags; an unknown flag or a value that is not
 * what the flag takes is the user's mistake, one line and exit 2; a failure exits 1.
 */
import { flagTable, parseFlags, runCommand, UsageError, VERBOSE_FLAG, wholeNumber, type FlagRow } from "../cli/command_line";

/** A benchmark: its name (`npm run` script), what it measures (the first lines of its `--help`), its flags. */
export interface Bench {
  name: string;
  /** How it is run, when not `npm run <name> -- [flags]`. */
  usage?: string;
  summary: string;
  flags: FlagRow[];
}

/** The flags as given, each defaulting to its row's `default`. */
export type BenchFlags = Record<string, string | boolean | undefined>;

/** `--help`'s text. */
export function benchHelp(bench: Bench): string {
  return `Usage: ${bench.usage ?? `npm run ${bench.name} -- [flags]`}\n\n${bench.summary}\n\n${flagTable([...bench.flags, VERBOSE_FLAG])}\n`;
}

/** Parses `argv` against the bench's flags (with their defaults); throws a UsageError naming a wrong flag. */
export function benchFlags(bench: Bench, argv: string[]): BenchFlags {
  const values = parseFlags(argv, Object.fromEntries(bench.flags.map((f) => [f.name, { type: f.type }]))) as BenchFlags;
  for (const f of bench.flags) if (values[f.name] === undefined && f.default !== undefined) values[f.name] = f.default;
  return values;
}

/** Flag `name`'s value as a whole number of at least `min`, or a UsageError saying what it got. */
export function wholeNumberFlag(flags: BenchFlags, name: string, min = 1): number {
  return wholeNumber(name, String(flags[name]), min);
}

/** Flag `name`'s value as a number above 0, or a UsageError saying what it got. */
export function positiveNumberFlag(flags: BenchFlags, name: string): number {
  const text = flags[name];
  const n = Number(text);
  if (typeof text !== "string" || !(n > 0) || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number above 0, got '${text}'`);
  return n;
}

/** Runs the bench's `main` with its flags from the command line: `--help` prints its usage and exits 0. */
export function runBench(bench: Bench, main: (flags: BenchFlags) => Promise<void> | void): void {
  const argv = process.argv.slice(2);
  runCommand(async () => (argv.includes("--help") ? void process.stdout.write(benchHelp(bench)) : main(benchFlags(bench, argv))), bench.name);
}
