/** Elements per second of counters that only grow, over the last few seconds of samples. */

/** How far back a rate looks: long enough to smooth bundles, short enough to show a stop. */
const WINDOW_MS = 5_000;

/** Remembers recent samples of named counts and tells their rates. */
export class RateMeter {
  private samples: { atMs: number; counts: Map<string, number> }[] = [];

  /** Records the counts at `atMs` (call it regularly; each call is one sample). */
  sample(atMs: number, counts: Map<string, number>): void {
    this.samples.push({ atMs, counts });
    while (this.samples.length > 2 && this.samples[1].atMs <= atMs - WINDOW_MS) this.samples.shift();
  }

  /** Per second, between the oldest remembered sample and the newest (0 until there are two). */
  rate(name: string): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.atMs - first.atMs) / 1000;
    if (seconds <= 0) return 0;
    return Math.max(0, ((last.counts.get(name) ?? 0) - (first.counts.get(name) ?? 0)) / seconds);
  }
}
