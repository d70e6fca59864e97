/**
 * Handler for `beam:transform:teststream:v1`: the TestStream's events replayed as an engine source.
 * The engine advances a source only when everything else is quiescent, so each event is fully
 * processed — bundles run, watermarks propagate, panes fire — before the next one is played.
 * Processing-time events move the job's manual clock.
 */
import { GlobalWindow, WindowedValue } from "apache-beam/values";
import type { ManualClock } from "../../../sdk/clock";
import type { StreamSource } from "../../../sdk/stream_source";
import { Millis, NO_FIRING, toInstant } from "../../../sdk/time";
import type { TestStreamEvent } from "./test_stream";


export class TestStreamSource implements StreamSource {
  private next = 0;
  private currentWatermark: Millis = -Infinity;
  private stopped = false;

  constructor(
    private readonly events: TestStreamEvent[],
    private readonly clock: ManualClock,
  ) {}

  get watermark(): Millis {
    return this.currentWatermark;
  }

  /** Finished after its last event, or once its watermark reached +Infinity, or when drained. */
  get finished(): boolean {
    return this.stopped || this.currentWatermark === Infinity || this.next >= this.events.length;
  }

  async advance(emit: (element: WindowedValue<unknown>) => void): Promise<boolean> {
    if (this.finished) return false;
    const event = this.events[this.next++];
    switch (event.kind) {
      case "elements":
        for (const { value, timestampMs } of event.elements) {
          emit({ value, windows: [new GlobalWindow()], timestamp: toInstant(timestampMs), pane: NO_FIRING });
        }
        break;
      case "watermark":
        // A watermark never goes back: a TestStream that says so is ignored, as Beam's runners do.
        this.currentWatermark = Math.max(this.currentWatermark, event.watermarkMs);
        break;
      case "processingTime":
        this.clock.advance(event.advanceMs);
        break;
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
  }
}
