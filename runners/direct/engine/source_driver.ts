/**
 * Driving the sources: asking them to advance when the engine is quiescent (a TestStream plays its
 * next event; a live source waits for data, bounded by the next processing-time trigger), and asking
 * reading-ahead sources for more while bundles run, so that their I/O overlaps processing.
 *
 * Reading ahead: a live source that allows it is asked to advance before each bundle whenever fewer
 * than {@link READ_AHEAD_BUNDLES} bundles of its input wait, so that its next read is on the wire
 * while the bundle runs and awaits its writes; bundles then grow from the reads that arrived
 * meanwhile. What waits in memory stays bounded by those bundles plus one read. At most one advance
 * per source is in flight at any time.
 */
import type { WindowedValue } from "apache-beam/values";
import type { Clock } from "../../../sdk/clock";
import type { StreamSource } from "../../../sdk/stream_source";
import type { Millis } from "../../../sdk/time";
import type { ElementQueue } from "./element_queue";

/** Bundles' worth of a reading-ahead source's input that may wait before it is asked for more. */
export const READ_AHEAD_BUNDLES = 2;

/** A source stage as the driver sees it: the source and the queue its elements go to. */
export interface SourceStage {
  name: string;
  source: StreamSource;
  queue: ElementQueue;
}

export class SourceDriver {
  private readonly advancing = new Map<SourceStage, Promise<boolean>>();
  private wake: (() => void) | undefined;
  /** Elements read from sources so far. */
  elementsRead = 0;
  /** Processing time of the last element read from a source (-Infinity before any). */
  lastElementAt: Millis = -Infinity;

  constructor(
    private readonly stages: SourceStage[],
    private readonly clock: Clock,
    private readonly bundleSize: number,
    /** Reports a failure of a read ahead nobody awaits (the job fails at the engine's next step). */
    private readonly fail: (error: unknown) => void,
  ) {}

  /** Every source. */
  get sources(): StreamSource[] {
    return this.stages.map((s) => s.source);
  }

  /** Ends a wait in {@link advance} or {@link sleepUntil} now (a drain, a cancel, a failure). */
  interrupt(): void {
    this.wake?.();
  }

  /** Draining: every source stops reading. */
  stopAll(): void {
    for (const s of this.stages) s.source.stop();
  }

  /**
   * Quiescent: lets one source move (a scripted one plays its next event), or waits — for live data,
   * the processing-time trigger due at `wakeUp`, or an interrupt. True if anything may have changed.
   */
  async advance(wakeUp: Millis): Promise<boolean> {
    const clock = this.clock;
    const sources = this.stages.filter((s) => !s.source.finished);
    if (sources.length === 0) {
      if (wakeUp === Infinity || clock.manual) return false;
      await this.sleepUntil(wakeUp);
      return true;
    }
    // A live source may still be waiting from an earlier call (or reading ahead): wait on that, never
    // ask twice — but no later than the next processing-time trigger, which that call may not know of.
    const advances: Promise<boolean>[] = sources.map((s) => this.advancing.get(s) ?? this.startAdvance(s, wakeUp));
    let timer: NodeJS.Timeout | undefined;
    const interrupted = new Promise<boolean>((resolve) => {
      this.wake = () => resolve(true);
      if (wakeUp !== Infinity && !clock.manual) timer = setTimeout(() => resolve(true), Math.max(0, wakeUp - clock.now()));
    });
    try {
      const moved = await Promise.race([...advances, interrupted]);
      // Under the wall clock a live source that returned is always worth another look; under a
      // manual clock only a scripted step or an expired timer moves anything.
      return moved || clock.now() >= wakeUp || !clock.manual;
    } finally {
      clearTimeout(timer);
      this.wake = undefined;
    }
  }

  /** Asks each reading-ahead source for more while a bundle is about to run, if little of its input waits. */
  readAhead(nextWakeUp: () => Millis): void {
    let wakeUp: Millis | undefined;
    for (const s of this.stages) {
      if (!s.source.readsAhead || s.source.finished || this.advancing.has(s)) continue;
      if (s.queue.size >= READ_AHEAD_BUNDLES * this.bundleSize) continue;
      wakeUp ??= nextWakeUp();
      // Nobody awaits this one unless the engine falls quiescent: a failure is kept for the loop.
      this.startAdvance(s, wakeUp).catch((error: unknown) => this.fail(error));
    }
  }

  /** The job is ending: every source finishes its acknowledgements and releases what it holds. */
  async closeAll(): Promise<void> {
    await Promise.all(this.stages.map((s) => s.source.close?.()));
  }

  /**
   * Since when every unfinished source has known its input empty (StreamSource.idleSince; a source
   * without it: since the last element read), or undefined while one has input or cannot tell.
   */
  idleSince(): Millis | undefined {
    let since = -Infinity;
    for (const s of this.stages) {
      if (s.source.finished) continue;
      const sourceSince = s.source.idleSince === undefined ? this.lastElementAt : s.source.idleSince();
      if (sourceSince === undefined) return undefined;
      since = Math.max(since, sourceSince);
    }
    return since;
  }

  /** What each source reports about itself (see StreamSource.report), by stage name. */
  reports(): Record<string, Record<string, number>> {
    return Object.fromEntries(this.stages.flatMap((s) => (s.source.report ? [[s.name, s.source.report()]] : [])));
  }

  /** Waits until processing time `deadline`, or an interrupt. */
  private async sleepUntil(deadline: Millis): Promise<void> {
    const ms = Math.max(0, deadline - this.clock.now());
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      this.wake = resolve;
    });
    clearTimeout(timer);
    this.wake = undefined;
  }

  /** Starts an advance of source stage `s`, whose elements go to its queue; one at a time per source. */
  private startAdvance(s: SourceStage, deadline: Millis): Promise<boolean> {
    const clock = this.clock;
    const queue = s.queue;
    const emit = (element: WindowedValue<unknown>) => {
      this.elementsRead++;
      this.lastElementAt = clock.now();
      // Source input is its own durability hold: its event time.
      queue.push(element);
    };
    const advance = s.source.advance(emit, deadline).finally(() => this.advancing.delete(s));
    this.advancing.set(s, advance);
    return advance;
  }
}
