/**
 * How the worker-thread executor (`worker_threads.ts`) cuts a bundle into parts: contiguous, taken
 * one at a time by whichever thread is free, each a share of what is left (guided self-scheduling).
 * Parts shrink as the bundle nears its end, so the threads finish together: with equal parts of an
 * eighth of the bundle each, the last part alone kept one of two threads idle for up to an eighth of
 * the bundle (about 1 s of a 300k-row file at `--cpu-load 100`, half of it on average), while the
 * many parts of equal small size the same balance would need cost a message each way and one
 * accumulator per key each.
 */

/**
 * Shares of what is left: each part takes 1/(SHARES × threads) of the rest, so the first parts are
 * big (a thread slow to start holds back only a small share) and the last ones small.
 */
const SHARES = 2;

/**
 * The smallest part, as a fraction of the bundle per thread: a bundle of many cheap elements
 * (a thousand lines) is not cut into parts of one or two elements at its end.
 */
const SMALLEST_PER_THREAD = 32;

/** One part of a bundle: its position among the parts (input order) and its elements. */
export interface BundlePart<T> {
  index: number;
  elements: T[];
}

/** The parts of one bundle, handed out in input order to whoever asks first. */
export class BundleParts<T> {
  private taken = 0;
  private count = 0;
  private readonly smallest: number;

  /** Parts of `elements` for `threads` threads taking them (a bundle of none is one empty part). */
  constructor(
    private readonly elements: readonly T[],
    private readonly threads: number,
  ) {
    this.smallest = Math.max(1, Math.floor(elements.length / (threads * SMALLEST_PER_THREAD)));
  }

  /** How many parts were handed out so far. */
  get handedOut(): number {
    return this.count;
  }

  /**
   * The next part, or undefined once every element has been handed out (or after {@link stop}):
   * a share of what is left. With `queued`, for a thread to run after the part it runs: the
   * smallest part, and none once the shares are down to it (the end of the bundle goes to
   * whoever is free, so that no thread is left with a part queued while the others are done).
   */
  next(queued = false): BundlePart<T> | undefined {
    const left = this.elements.length - this.taken;
    if (left <= 0 && !(this.elements.length === 0 && this.count === 0)) return undefined;
    const share = Math.max(this.smallest, Math.ceil(left / (SHARES * this.threads)));
    if (queued && share <= this.smallest) return undefined;
    const size = Math.min(left, queued ? this.smallest : share);
    const part = { index: this.count++, elements: this.elements.slice(this.taken, this.taken + size) };
    this.taken += size;
    return part;
  }

  /** Hands out nothing more (the bundle has failed). */
  stop(): void {
    this.taken = this.elements.length;
    this.count = Math.max(this.count, 1);
  }
}
