/**
 * Repeated runs of a benchmark's variants, taken in turn: this shared machine's speed moves within
 * minutes, and noise only ever adds time, so each variant counts by its fastest run.
 */
import type { FlagRow } from "../cli/command_line";

/** The `--repeats` flag of a bench whose variants run in turn. */
export const REPEATS_FLAG: FlagRow = { name: "repeats", type: "string", value: "R", default: "3", help: "runs of each variant, taken in turn; each counts by its fastest" };

/**
 * Runs `run` once before any counted run and throws its result away: the first run after a change
 * compiles the TypeScript its processes load, and V8's code for every module, into the on-disk
 * caches (`scripts/register.js`, `scripts/code_cache.js`) and
 * reads the input file into the page cache — a cold cache made the first native run 2.69 s against
 * ~1 s after. Its figure is in no round and no ratio.
 */
export function warmUp(run: () => unknown): void {
  process.stderr.write("warm-up run, not counted: ");
  run();
}

/** The fastest of a variant's runs. */
export function fastest<T extends { seconds: number }>(runs: T[]): T {
  return runs.reduce((best, run) => (run.seconds < best.seconds ? run : best));
}

/**
 * Each variant run `repeats` times in turn (a, b, c, a, b, c, …), every run's result kept in order
 * under its variant's name: runs of different variants taken minutes apart would compare the
 * machine's load as much as the code, and taken in turn each variant sees the same minutes.
 */
export function inTurn<T>(variants: Record<string, (round: number) => T>, repeats: number): Record<string, T[]> {
  const runs: Record<string, T[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let round = 1; round <= repeats; round++) for (const [name, run] of Object.entries(variants)) runs[name].push(run(round));
  return runs;
}

/** The slowest of a variant's runs over its fastest: how much the machine moved them (1 = not at all). */
export function spread(runs: { seconds: number }[]): number {
  return Math.max(...runs.map((run) => run.seconds)) / fastest(runs).seconds;
}
