/** Emitting from a source operator without outrunning the steps downstream of it. */
import * as operators from "apache-beam/worker/operators";
import type { WindowedValue } from "apache-beam/values";

/**
 * Emits `values` in the window, timestamp and pane of `template`. Synchronous while downstream is; as
 * soon as a step returns a promise (a sink applying backpressure) it waits for it before going on.
 */
export function emitAll(
  receiver: operators.Receiver,
  template: WindowedValue<unknown>,
  values: Iterable<unknown>,
): operators.ProcessResult {
  // Sources emit batches as arrays (a chunk's lines, a file's rows): indexed, without an iterator.
  if (Array.isArray(values)) return emitArray(receiver, template, values);
  const iterator = values[Symbol.iterator]();
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    const result = receiver.receive({ value: next.value, windows: template.windows, timestamp: template.timestamp, pane: template.pane });
    if (result !== operators.NonPromise) {
      return (async () => {
        await result;
        for (let rest = iterator.next(); !rest.done; rest = iterator.next()) {
          const r = receiver.receive({ value: rest.value, windows: template.windows, timestamp: template.timestamp, pane: template.pane });
          if (r !== operators.NonPromise) await r;
        }
      })();
    }
  }
  return operators.NonPromise;
}

function emitArray(receiver: operators.Receiver, template: WindowedValue<unknown>, values: readonly unknown[]): operators.ProcessResult {
  const { windows, timestamp, pane } = template;
  for (let i = 0; i < values.length; i++) {
    const result = receiver.receive({ value: values[i], windows, timestamp, pane });
    if (result !== operators.NonPromise) {
      return (async () => {
        await result;
        for (let j = i + 1; j < values.length; j++) {
          const r = receiver.receive({ value: values[j], windows, timestamp, pane });
          if (r !== operators.NonPromise) await r;
        }
      })();
    }
  }
  return operators.NonPromise;
}
