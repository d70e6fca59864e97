/**
 * Whether the worker-thread executor (`worker_threads.ts`) ships what is left of a stage's bundle to
 * the threads or runs it on the job's thread, as measured on the stage's own recent bundles.
 *
 * The engine waits for each bundle (it hands over one at a time), so what shipping must win is the
 * bundle's elapsed time, and it has costs of its own: the threads' start (each loads the job's
 * modules, ~0.15–0.2 CPU s and ~0.2–0.3 s on this machine, seconds on a busy one), encoding,
 * posting and decoding every element, and a part's writes, which a thread awaits before it answers
 * while a bundle run here hands them to the engine and lets the next bundle run.
 *
 * - **No thread started** (none asked for in this job, or still starting): a bundle runs here, and
 *   the pool is started only when what is left of a bundle would keep this thread busy for longer
 *   than {@link POOL_START_MS} at the stage's measured cost per element. A split of a large file
 *   (hundreds of ms per element) starts it; a bundle of a thousand messages (a fraction of a ms
 *   each, most of a message's time spent in I/O elsewhere) never does — the streaming demo then
 *   runs as at one worker, pool start-up and probes spared. Until the stage's cost is known a bundle
 *   runs here in measured pieces ({@link ShippingChoice.next}), so that a file's splits need not
 *   all run here before the threads are asked for. Over a bounded input the threads are started
 *   earlier still, while that sample runs, when the stage's first run here alone used
 *   {@link EARLY_START_CPU_MS} of CPU ({@link ShippingChoice.startsPoolEarly}), and at the job's
 *   start when its bounded sources announce {@link POOL_AT_START_BYTES} ({@link startsPoolAtJobStart}).
 * - **Threads started** (asked for by another stage, or idle from a previous job): a stage ships its
 *   first elements (a probe: shipping's cost is only measured by shipping), then ships its bundles
 *   while shipped bundles took less time per element than bundles run here, probing again now and
 *   then while it keeps them here (at most {@link PROBE_BUDGET} of the time it ran them here).
 */

/** Elements shipped before the costs are compared: timing a handful of elements is noise (and JIT warm-up). */
export const PROBE_ELEMENTS = 1_000;

/** At most this share of the time this thread runs a stage's kept bundles goes to probing their shipping. */
export const PROBE_BUDGET = 0.02;

/**
 * What is left of a bundle must take at least this long here, at the stage's measured cost, for
 * starting the threads to pay. This thread keeps running parts while a thread starts (on another
 * core), so work W and a start S take S + (W − S) / 2 = (W + S) / 2 on two threads instead of W: a
 * gain once W exceeds S, a fifth at W ≈ 1.7 S, with S ~0.35 s on a quiet machine. (At 1 000 ms, the
 * batch ETL over 1M rows — ~1.1 s here after its first splits — started no thread at all.)
 */
export const POOL_START_MS = 600;

/**
 * A stage's cost here is known once its runs (after its first) took this long: its first run pays
 * the JIT's warm-up and its clients' creation, and a few elements are timer noise.
 */
export const SAMPLE_MS = 50;

/**
 * A stage over a bounded input whose first run here (one element) used at least this much CPU
 * starts the threads at once, before its cost is sampled: a thread takes ~0.2–0.3 s to start
 * (0.15–0.2 CPU s loading the SDK and the job's modules, on another core), and the batch ETL over
 * 1M rows takes ~1 s on one thread; started once the sample had decided (after the file's split, its first split
 * with the JIT's warm-up, and one more: ~0.45 s in), a thread was ready when the job was nearly
 * done. Measured (CPU ms of first runs): the file's split step (the file scanned for record starts)
 * 100, its first split 91; a short test job's first element 7; a streaming source's costly first
 * messages (clients created) are over an unbounded input. CPU, not elapsed time: a busy machine
 * stretches a short job's first run, not the CPU it uses.
 */
export const EARLY_START_CPU_MS = 50;

/**
 * A job whose bounded sources announce at least this many bytes to share (`sdk/input_bytes.ts`)
 * starts its threads at its start, while this thread builds the stages and splits the input: a
 * thread's start (~0.2–0.3 s) then overlaps the job's first ~0.1 s instead of following it, and the
 * thread is paid back once the work it shares exceeds its start. At the cheapest cost per byte
 * measured (read → parse → sum of a CSV: ~0.9 s for 125 MB on one thread, ~7 ns a byte), 32 MiB is
 * ~0.25 s of work. Smaller jobs keep the rules above.
 */
export const POOL_AT_START_BYTES = 32 << 20;

/** True when a job whose bounded sources announce `inputBytes` starts its threads before running anything. */
export function startsPoolAtJobStart(inputBytes: number): boolean {
  return inputBytes >= POOL_AT_START_BYTES;
}

/** The lowest cost per element among this many of the stage's recent runs here stands for its cost. */
const RECENT_RUNS = 3;

/** Past this many elements the averages halve, so that recent bundles weigh most. */
const HORIZON_ELEMENTS = 20_000;

/** Where the job's worker threads are: not asked for, starting, or (some of them) started. */
export type PoolState = "none" | "starting" | "started";

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
  /** Elapsed per element of the runs here (the engine's wait: their writes land after). */
  private readonly here = new CostPerElement();
  /** Elapsed per element of shipped bundles, from cutting them into parts to their outputs delivered. */
  private readonly shipping = new CostPerElement();
  /** Elements still to ship (and measure) in the current probe. */
  private probeLeft = PROBE_ELEMENTS;
  /** Milliseconds this thread ran the stage's kept bundles since the last probe. */
  private keptMs = 0;
  private runsHere = 0;
  /** Milliseconds of the runs here after the first. */
  private sampledMs = 0;
  /** Cost per element of the latest runs here after the first (pauses and warm-up only make a run slower). */
  private readonly recent: number[] = [];
  /** CPU milliseconds of the first run here, once it has run. */
  private firstRunCpuMs: number | undefined;

  /** A stage's choice; `bounded`: its input is (a bounded PCollection). */
  constructor(private readonly bounded = false) {}

  /**
   * True when the threads should be started now, before the stage's cost is known: none are
   * (`pool`), the input is bounded and the first run here used {@link EARLY_START_CPU_MS} of CPU.
   */
  startsPoolEarly(pool: PoolState): boolean {
    return pool === "none" && this.bounded && this.firstRunCpuMs !== undefined && this.firstRunCpuMs >= EARLY_START_CPU_MS;
  }

  /**
   * What to do with the `left` elements of a bundle not yet run: ship them all, or run this many of
   * them here (all of them, or a piece that measures the stage's cost before deciding on the rest).
   */
  next(left: number, pool: PoolState): "ship" | number {
    if (pool === "started") return this.shipWhileStarted() ? "ship" : left;
    if (this.runsHere === 0) return Math.min(left, 1);
    const perElement = Math.min(...this.recent, Infinity);
    if (this.sampledMs < SAMPLE_MS) {
      // Pieces sized from the cheapest run so far to complete the sample, so that a few slow first
      // elements neither cut a bundle of cheap ones into many pieces nor start the threads.
      return Math.min(left, Math.max(1, Math.ceil((SAMPLE_MS - this.sampledMs) / perElement)));
    }
    return left * perElement >= POOL_START_MS ? "ship" : left;
  }

  private shipWhileStarted(): boolean {
    if (this.probeLeft > 0 || !this.shipping.measured) return true;
    if (!this.here.measured) return false;
    if (this.keptMs * PROBE_BUDGET >= PROBE_ELEMENTS * this.shipping.perElement) {
      this.keptMs = 0;
      this.probeLeft = PROBE_ELEMENTS;
      return true;
    }
    return this.shipping.perElement < this.here.perElement;
  }

  /** `elements` ran here in `ms`, using `cpuMs` of CPU (their outputs delivered, their writes handed to the engine). */
  ranHere(ms: number, elements: number, pool: PoolState, cpuMs: number): void {
    this.here.add(ms, elements);
    if (pool === "started") this.keptMs += ms;
    this.firstRunCpuMs ??= cpuMs;
    if (this.runsHere++ === 0 || elements === 0) return;
    this.sampledMs += ms;
    this.recent.push(ms / elements);
    if (this.recent.length > RECENT_RUNS) this.recent.shift();
  }

  /** Shipping `elements` took `ms`, at least one of its parts on a thread. */
  shipped(ms: number, elements: number): void {
    this.shipping.add(ms, elements);
    this.probeLeft -= elements;
  }
}
