/**
 * `WindowInto` with fixed windows (`beam:window_fn:fixed_windows:v1`): the SDK's window assignment,
 * asked only when an element falls outside the window the previous one got.
 *
 * The SDK's operator assigns every element afresh: a handful of `Long` operations (a remainder among
 * them, a call into long.js's WebAssembly), a new window and two arrays per element. In a stream,
 * consecutive elements mostly fall in the same window (the same minute), and in fixed windows a
 * timestamp inside a window's bounds is assigned that window: this operator hands such an element the
 * window object the previous one got (windows are values: nobody changes one). Any other element,
 * and any other WindowFn, is assigned by the SDK's own code.
 */
import type * as operators from "apache-beam/worker/operators";
import type { IntervalWindow, WindowedValue } from "apache-beam/values";
import type { WindowFn } from "apache-beam/transforms/window";
import { toMillis } from "../../../sdk/time";
import type { ValueReceiver } from "../../../sdk/value_receiver";
import type { NativeOperator } from "./pardo";

/** The standard URN of fixed windows, as a WindowFn's proto names it. */
const FIXED_WINDOWS_URN = "beam:window_fn:fixed_windows:v1";

/**
 * Whether a WindowInto's output windowing strategy (its WindowFn's URN, `windowFnUrn`) assigns fixed
 * windows. Read from the pipeline proto, where the SDK recorded it at construction: a deserialized
 * WindowFn cannot say — the SDK's `fixedWindows` builds its `toProto` on a protobuf message type
 * that does not survive serialization (`FixedWindowsPayload.toBinary is not a function`), so asking
 * it sent every fixed-window assignment to the SDK's operator.
 */
export function isFixedWindows(windowFnUrn: string | undefined): boolean {
  return windowFnUrn === FIXED_WINDOWS_URN;
}

export class FixedWindowsOperator implements NativeOperator {
  /** The window assigned last, and its bounds in milliseconds ([start, end)). */
  private lastWindow: IntervalWindow | undefined = undefined;
  private startMs = Infinity;
  private endMs = -Infinity;

  constructor(
    readonly transformId: string,
    private readonly windowFn: WindowFn<IntervalWindow>,
    private readonly receiver: ValueReceiver,
  ) {}

  async startBundle(): Promise<void> {}

  async finishBundle(): Promise<void> {}

  process(input: WindowedValue<unknown>): operators.ProcessResult {
    return this.processValue(input.value, input);
  }

  processValue(value: unknown, like: WindowedValue<unknown>): operators.ProcessResult {
    const ms = toMillis(like.timestamp);
    let assigned = this.lastWindow;
    if (assigned === undefined || !(ms >= this.startMs && ms < this.endMs)) {
      assigned = this.windowFn.assignWindows(like.timestamp)[0];
      this.lastWindow = assigned;
      this.startMs = toMillis(assigned.start);
      this.endMs = toMillis(assigned.end);
    }
    // As the SDK's operator: each of the element's windows becomes the new one.
    const windows: IntervalWindow[] = new Array(like.windows.length).fill(assigned);
    return this.receiver.receive({ value, windows, timestamp: like.timestamp, pane: like.pane });
  }
}
