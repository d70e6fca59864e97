/**
 * Handing an element on as its value alone, when its windows, timestamp and pane are those of an
 * element already made. A step that keeps its input's windows (a plain map, a split, a source
 * emitting in its input's window) made a WindowedValue per output only for the next step to read
 * its `value`; a runner whose receivers take the value and that "like" element instead makes one
 * only where something keeps the element (a queue, a grouping, a watcher) or reads its windows.
 */
import type * as operators from "apache-beam/worker/operators";
import type { WindowedValue } from "apache-beam/values";

/** A receiver (the SDK's `receive`) that also takes `value` in the windows, timestamp and pane of `like`. */
export interface ValueReceiver {
  receive(element: WindowedValue<unknown>): operators.ProcessResult;
  receiveValue(value: unknown, like: WindowedValue<unknown>): operators.ProcessResult;
}

/** `receiver` as a {@link ValueReceiver}, when it is one (a runner's own); undefined otherwise (the SDK's). */
export function asValueReceiver(receiver: operators.Receiver): ValueReceiver | undefined {
  return typeof (receiver as Partial<ValueReceiver>).receiveValue === "function" ? (receiver as unknown as ValueReceiver) : undefined;
}
