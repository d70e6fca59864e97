/**
 * Whether the worker-thread executor (`worker_threads.ts`) ships a stage's next bundle to the
 * threads or runs it whole on the job's thread: whichever costs the job's thread less per input
 * element, as measured on the stage's own recent bundles.
 *
 * The job's thread is the one that cannot be parallelized (the engine, sources, groupings, acks live
 * there), so its time is what shipping must save. Running an element here costs the stage's work on
 * it (measured on the parts this thread runs, and reported by the threads for theirs); shipping it
 * costs this thread encoding it, posting it, and decoding and delivering what comes back. A split
 * of a file that expands on a thread into thousands of records, pre-combined there, costs this
 * thread one element out and a few accumulators back: shipped. A bundle of a thousand cheap maps
 * costs more to encode and decode than to run: kept here. Neither is decided by the kind of input.
 *
 * A stage ships its first elements (a probe), and probes again now and then while it keeps its
 * bundles here: shipping's cost per element is only measured by shipping. Probes are spaced so that
 * they cost at most {@link PROBE_BUDGET} of the time this thread spends running the stage (a stage
 * whose shipping costs 12× its running probes once per ~600k elements kept). The cost of running here
 * is measured on every bundle, so a stage whose elements grow heavier ships at once.
 */

/** Elements shipped before the costs are compared: timing a handful of elements is noise (and JIT warm-up). */
export const PROBE_ELEMENTS = 1_000;

/** At most this share of the time this thread runs a stage's kept bundles goes to probing their shipping. */
export const PROBE_BUDGET = 0.02;

/** Past this many elements the averages halve, so that recent bundles weigh most. */
const HORIZON_ELEMENTS = 20_000;

/** Milliseconds per element, averaged over recent elements. */
class CostPerElement {
  private ms = 0;
  private elements = 0;

  add(ms: number, elements: number): void {
    this.ms += ms;
    this.elements += elements;
    if (this.elements > HORIZON_ELEMENTS) {
      this.ms /= 2;
      this.elements /= 2;
    }
  }

  get measured(): boolean {
    return this.elements > 0;
  }

  get perElement(): number {
    return this.ms / this.elements;
  }
}

/** One stage's choice between shipping its bundles and running them on the job's thread. */
export class ShippingChoice {
  private readonly running = new CostPerElement();
  private readonly shipping = new CostPerElement();
  /** Elements still to ship (and measure) in the current probe. */
  private probeLeft = PROBE_ELEMENTS;
  /** Milliseconds this thread ran the stage's kept bundles since the last probe. */
  private keptMs = 0;

  /** True when the next bundle should be shipped (cut into parts for the threads and this thread). */
  ship(): boolean {
    if (this.probeLeft > 0 || !this.running.measured || !this.shipping.measured) return true;
    if (this.keptMs * PROBE_BUDGET >= PROBE_ELEMENTS * this.shipping.perElement) {
      this.keptMs = 0;
      this.probeLeft = PROBE_ELEMENTS;
      return true;
    }
    return this.shipping.perElement < this.running.perElement;
  }

  /** The stage ran `elements` in `ms` (on this thread, or on a thread by its report). */
  ran(ms: number, elements: number): void {
    this.running.add(ms, elements);
  }

  /** Shipping `elements` cost this thread `ms` (encoding, posting, decoding and delivering outputs). */
  shipped(ms: number, elements: number): void {
    this.shipping.add(ms, elements);
    this.probeLeft -= elements;
  }

  /** A bundle of `elements` ran whole on this thread in `ms`. */
  kept(ms: number, elements: number): void {
    this.running.add(ms, elements);
    this.keptMs += ms;
  }
}
