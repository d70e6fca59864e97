/**
 * Repeated runs of a benchmark's variants, taken in turn: this shared machine's speed moves within
 * minutes, and noise only ever adds time, so each variant counts by its fastest run.
 */

/** The `--repeats` flag's value: a whole number of at least 1 (what the flag's text says, or `fallback`). */
export function repeatsFlag(text: string | undefined, fallback = 3): number {
  const repeats = Number(text ?? fallback);
  if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error(`--repeats must be a whole number of at least 1, got '${text}'`);
  return repeats;
}

/** The fastest of a variant's runs. */
export function fastest<T extends { seconds: number }>(runs: T[]): T {
  return runs.reduce((best, run) => (run.seconds < best.seconds ? run : best));
}
