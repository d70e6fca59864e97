/**
 * The live source behind our synthetic stream (registered by `io/synthetic_stream.ts`), on the
 * wall clock. Each advance emits what is due by now (a batch at most), or waits until the next element is
 * due — never past the engine's deadline, and never once the job drains.
 */
import { GlobalWindow, WindowedValue } from "apache-beam/values";
import type { SyntheticStreamSettings } from "./synthetic_stream";
import type { Clock } from "../sdk/clock";
import type { StreamSource } from "../sdk/stream_source";
import { Millis, NO_FIRING, toInstant } from "../sdk/time";

/** Elements emitted per advance at most, so that bundles stay bounded. */
const MAX_BATCH = 1000;

export class SyntheticStreamSource implements StreamSource {
  private emitted = 0;
  private lastEventTime: Millis = -Infinity;
  private stopped = false;
  private wakeSleeper: (() => void) | undefined;
  private readonly startedAt: Millis;

  constructor(
    private readonly settings: SyntheticStreamSettings,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now();
  }

  readonly readsAhead = true;

  /** Every element from now on is stamped at or after the current time. */
  get watermark(): Millis {
    return this.lastEventTime;
  }

  get finished(): boolean {
    return this.stopped || (this.settings.maxElements !== undefined && this.emitted >= this.settings.maxElements);
  }

  async advance(emit: (element: WindowedValue<unknown>) => void, deadline: Millis): Promise<boolean> {
    if (this.finished) return false;
    const due = this.dueCount();
    if (due === 0) {
      const nextDueAt = this.startedAt + ((this.emitted + 1) * 1000) / this.settings.elementsPerSecond;
      await this.sleep(Math.min(nextDueAt, deadline) - this.clock.now());
      return false;
    }
    const now = this.clock.now();
    const timestamp = toInstant(now);
    for (let n = 0; n < due; n++) {
      emit({ value: this.settings.make(this.emitted++), windows: [new GlobalWindow()], timestamp, pane: NO_FIRING });
    }
    this.lastEventTime = now;
    return true;
  }

  stop(): void {
    this.stopped = true;
    this.wakeSleeper?.();
  }

  private dueCount(): number {
    const cap = Math.min(MAX_BATCH, (this.settings.maxElements ?? Infinity) - this.emitted);
    if (this.settings.elementsPerSecond === 0) return cap;
    const dueByNow = Math.floor(((this.clock.now() - this.startedAt) * this.settings.elementsPerSecond) / 1000);
    return Math.max(0, Math.min(cap, dueByNow - this.emitted));
  }

  private async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wakeSleeper = resolve;
      timer = setTimeout(resolve, Math.max(0, ms));
    });
    clearTimeout(timer);
    this.wakeSleeper = undefined;
  }
}
