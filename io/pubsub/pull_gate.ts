/**
 * Whether a Pub/Sub reader's pulls should wait until nothing is outstanding (pulled, not yet
 * acknowledged) — lock-step — or overlap the processing of what came before, decided from what the
 * pulls measure, never from which server answers them.
 *
 * Why: Google's Pub/Sub emulator answers a pull in a few milliseconds whatever the backlog while no
 * message is outstanding, but once any is, each pull costs time in proportion to the messages the
 * subscription holds (measured in ./puller.ts's module comment: 40–50 ms at 300 000, 160–290 ms at
 * 1 200 000, concurrent pulls waiting on each other), so a reader that acknowledges after its writes
 * reads a few hundred messages a second from a large backlog. The service has no such cost.
 *
 * How: the latency of every pull that brought messages is kept, as *clear* (sent while nothing was
 * outstanding and no other pull was on the wire) or *overlapped*. When the overlapped pulls are
 * {@link SLOWDOWN} times slower than the clear ones over enough samples, and slower than a lock-step
 * cycle costs (the wait for the acknowledgements plus a clear pull, measured the same way), the gate
 * engages: each pull waits — at most {@link MAX_WAIT_MS} — until nothing is outstanding. Gated, it
 * lets one overlapped pull through every {@link PROBE_INTERVAL_MS} to see whether the slowdown is
 * still there, and disengages when it is not (or the lock-step cycle costs more than it saves).
 * Not gated, it sends one clear pull now and then (a probe, same interval) while the overlapped
 * pulls look slow ({@link PROBE_SLOWDOWN} times) against what it knows of clear ones — or it knows
 * none — to learn both, one after the other until it can decide; where overlapped pulls cost what
 * clear ones do, as on the service, it never engages, nor holds the wire for clear pulls.
 *
 * Acknowledgements may never come while a pull waits: a pipeline may hold its messages until a
 * window closes (the demo's per-minute aggregate holds every message of a burst). A wait for a clear
 * probe is therefore bounded by what it could save — {@link PROBE_WAIT_FACTOR} overlapped pulls — and
 * one that ran out with messages still outstanding is not followed by another before the probe
 * interval: asking "one after the other" for clear pulls that cannot be had cost the demo a second a
 * pull (20 s for 2 532 messages instead of 1.5).
 */
import type { Millis } from "../../sdk/time";

/** How many times slower overlapped pulls must be than clear ones for the gate to engage. */
export const SLOWDOWN = 4;
/** The longest a gated pull waits for the outstanding messages to be acknowledged (ms). */
export const MAX_WAIT_MS = 1_000;
/** How often, at most, a probe pull goes out: clear when not gated, overlapped when gated (ms). */
export const PROBE_INTERVAL_MS = 10_000;
/**
 * How many times slower than clear pulls overlapped ones must look for a clear probe to go out (less
 * than {@link SLOWDOWN}: clear pulls measured while the server was busy — a publisher at full speed —
 * are slow too, and only probes bring their figure back down once it is not).
 */
const PROBE_SLOWDOWN = SLOWDOWN / 2;
/** A clear probe (not gated) waits for the acknowledgements at most this many overlapped pulls' latency. */
const PROBE_WAIT_FACTOR = 2;
/** Samples of each kind the decision needs, and how many recent ones it keeps. */
const MIN_SAMPLES = 3;
const KEPT_SAMPLES = 5;

/** The recent values of one measure, and their median. */
class Recent {
  private readonly values: number[] = [];
  /** The median as of the last {@link add}: asked for several times per pull (the puller's depth and timeout), samples come once per pull. */
  private medianOfValues = NaN;

  add(value: number): void {
    this.values.push(value);
    if (this.values.length > KEPT_SAMPLES) this.values.shift();
    const sorted = [...this.values].sort((a, b) => a - b);
    this.medianOfValues = sorted[Math.floor(sorted.length / 2)];
  }

  get count(): number {
    return this.values.length;
  }

  /** The median of the kept values; NaN when none. */
  get median(): number {
    return this.medianOfValues;
  }
}

/** What the gate measured and decided (medians of the recent samples; NaN before any). */
export interface PullGateStats {
  /** 1 while pulls wait for nothing to be outstanding, else 0. */
  pullGating: number;
  /** Latency of pulls sent while nothing was outstanding (ms). */
  clearPullMs: number;
  /** Latency of pulls sent while messages were outstanding or another pull was on the wire (ms). */
  overlappedPullMs: number;
  /** How long a gated pull waited for the acknowledgements (ms). */
  ackWaitMs: number;
  /** Pulls that waited for nothing to be outstanding (cumulative, probes included). */
  gatedPulls: number;
  /** Times the gate engaged (cumulative). */
  gateEngaged: number;
}

export class PullGate {
  private readonly clear = new Recent();
  private overlapped = new Recent();
  /** The same pulls' wall-clock latencies, our own delays in taking their answers included: what a wait or a timeout is measured against. */
  private readonly clearWall = new Recent();
  private overlappedWall = new Recent();
  private latestOverlappedWall = NaN;
  private readonly waits = new Recent();
  /** The latest overlapped pull: gated, the only ones are probes, and the latest says whether the slowdown is still there. */
  private latestOverlapped = NaN;
  private engaged = false;
  /** The latest wait ran out with messages still outstanding: no clear pull could be had then. */
  private lastWaitRanOut = false;
  private lastProbeAt: Millis;
  private gatedPulls = 0;
  private engagedCount = 0;

  constructor(now: Millis = Date.now()) {
    this.lastProbeAt = now;
  }

  /** The recent latency of clear pulls (ms; NaN before any). */
  get clearMs(): number {
    return this.clear.median;
  }

  /** The recent latency of overlapped pulls (ms; NaN before any): gated, the latest probe's. */
  get overlappedMs(): number {
    return this.engaged ? this.latestOverlapped : this.overlapped.median;
  }

  /** {@link clearMs} on the wall clock (see {@link answered}). */
  get clearWallMs(): number {
    return this.clearWall.median;
  }

  /** {@link overlappedMs} on the wall clock (see {@link answered}). */
  get overlappedWallMs(): number {
    return this.engaged ? this.latestOverlappedWall : this.overlappedWall.median;
  }

  /** Whether pulls wait for nothing to be outstanding now. */
  get gating(): boolean {
    return this.engaged;
  }

  /**
   * Whether the next pull should wait until nothing is outstanding: gated (but for an overlapped
   * probe now and then), or a clear probe is due.
   */
  waitsForAcks(now: Millis): boolean {
    const probeDue = now - this.lastProbeAt >= PROBE_INTERVAL_MS;
    if (this.engaged) {
      if (!probeDue) return true;
      this.lastProbeAt = now;
      return false;
    }
    // Overlapped pulls slow and too few clear ones known: one after the other until there are enough —
    // unless the last wait ran out (the acknowledgements are held) — then a probe now and then.
    if (!this.wantsClearSamples() || ((this.clear.count >= MIN_SAMPLES || this.lastWaitRanOut) && !probeDue)) return false;
    this.lastProbeAt = now;
    return true;
  }

  /**
   * The longest the next pull that waits for the acknowledgements should wait (ms): gated,
   * {@link MAX_WAIT_MS}; a clear probe, no longer than the overlapped pulls it could save.
   */
  waitBoundMs(): number {
    // What a wait can save is the time overlapped pulls take us, on the wall clock.
    const overlappedMs = this.overlappedWall.median;
    if (this.engaged || Number.isNaN(overlappedMs)) return MAX_WAIT_MS;
    return Math.min(MAX_WAIT_MS, Math.max(1, Math.round(PROBE_WAIT_FACTOR * overlappedMs)));
  }

  /** A pull that waited for the acknowledgements is sent, after waiting `waitedMs`; `ranOut`: messages were still outstanding. */
  sentAfterWait(waitedMs: number, ranOut = false): void {
    this.gatedPulls++;
    this.waits.add(waitedMs);
    this.lastWaitRanOut = ranOut;
  }

  /**
   * A pull that brought messages came back after `latencyMs` — or one got no answer within its
   * timeout, `latencyMs` (empty answers are not counted: they wait on an empty subscription, they do
   * not measure its cost); `clear`: nothing was outstanding when it was sent. `latencyMs` is the
   * server's time, what the decision weighs; `wallMs` the time until the reader took the answer (more,
   * when the reader's thread was busy as it came: see ./puller.ts, serverMs), what waits and timeouts
   * are weighed against.
   */
  answered(latencyMs: number, clear: boolean, wallMs = latencyMs): void {
    if (clear) {
      this.clear.add(latencyMs);
      this.clearWall.add(wallMs);
    } else {
      this.overlapped.add(latencyMs);
      this.latestOverlapped = latencyMs;
      this.overlappedWall.add(wallMs);
      this.latestOverlappedWall = wallMs;
    }
    this.decide();
  }

  get stats(): PullGateStats {
    return {
      pullGating: this.engaged ? 1 : 0,
      clearPullMs: this.clearMs,
      overlappedPullMs: this.overlappedMs,
      ackWaitMs: this.waits.median,
      gatedPulls: this.gatedPulls,
      gateEngaged: this.engagedCount,
    };
  }

  /**
   * Overlapped pulls look slow against the clear ones known, or none is known to tell. Not "fewer than
   * {@link MIN_SAMPLES} known": at a job's start, pulls that answer alike clear or overlapped asked for
   * clear probes one after the other — each a wait for the acknowledgements with no pull on the wire —
   * and the stream's first messages waited in the subscription for them (measured in bench:e2e's
   * steady phase: ~200 ms of the first 400 with no pull out). Once overlapped pulls look slow against
   * a clear one, the probes follow one after the other until the gate can decide, as before.
   */
  private wantsClearSamples(): boolean {
    if (this.overlapped.count < MIN_SAMPLES) return false;
    return this.clear.count === 0 || this.overlapped.median >= PROBE_SLOWDOWN * this.clear.median;
  }

  private decide(): void {
    if (this.clear.count < MIN_SAMPLES || this.overlapped.count < MIN_SAMPLES) return;
    const overlappedMs = this.overlappedMs;
    // A lock-step cycle: the wait for the acknowledgements, then a clear pull (before any wait was
    // measured, the slowdown alone engages the gate, which then measures it).
    const cycleMs = this.waits.count === 0 ? 0 : this.waits.median + this.clear.median;
    const worth = overlappedMs >= SLOWDOWN * this.clear.median && cycleMs < overlappedMs;
    if (worth === this.engaged) return;
    this.engaged = worth;
    if (worth) this.engagedCount++;
    // Disengaged: the overlapped pulls from now on decide, not the slow ones that engaged it.
    else {
      this.overlapped = new Recent();
      this.overlappedWall = new Recent();
    }
  }
}
