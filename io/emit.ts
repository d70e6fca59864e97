/** Emitting from a source operator without outrunning the steps downstream of it. */
import * as operators from "apache-beam/worker/operators";
import type { WindowedValue } from "apache-beam/values";
import { asValueReceiver } from "../sdk/value_receiver";

/**
 * Emits `values` in the window, timestamp and pane of `template`. Synchronous while downstream is; as
 * soon as a step returns a promise (a sink applying backpressure) it waits for it before going on.
 */
export function emitAll(
  receiver: operators.Receiver,
  template: WindowedValue<unknown>,
  values: Iterable<unknown>,
): operators.ProcessResult {
  const send = sender(receiver, template);
  // Sources emit batches as arrays (a chunk's lines, a file's rows): indexed, without an iterator.
  if (Array.isArray(values)) return emitArray(send, values);
  const iterator = values[Symbol.iterator]();
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    const result = send(next.value);
    if (result !== operators.NonPromise) {
      return (async () => {
        await result;
        for (let rest = iterator.next(); !rest.done; rest = iterator.next()) {
          const r = send(rest.value);
          if (r !== operators.NonPromise) await r;
        }
      })();
    }
  }
  return operators.NonPromise;
}

function emitArray(send: (value: unknown) => operators.ProcessResult, values: readonly unknown[]): operators.ProcessResult {
  // The rest goes to another function: a loop index captured by a closure here lives in a context
  // allocated for every iteration (48 B per value, a fifth of what the read → combine path allocated).
  for (let i = 0; i < values.length; i++) {
    const result = send(values[i]);
    if (result !== operators.NonPromise) return emitRestAfter(result, send, values, i + 1);
  }
  return operators.NonPromise;
}

/** Once `pending` settles, the values from index `from` on, each awaited when it returns a promise. */
async function emitRestAfter(pending: Promise<void>, send: (value: unknown) => operators.ProcessResult, values: readonly unknown[], from: number): Promise<void> {
  await pending;
  for (let i = from; i < values.length; i++) {
    const result = send(values[i]);
    if (result !== operators.NonPromise) await result;
  }
}

/**
 * Hands one value on in the template's windows: as the value alone to a runner's own receiver (no
 * element made per value, see sdk/value_receiver.ts), as a new element to any other.
 */
function sender(receiver: operators.Receiver, template: WindowedValue<unknown>): (value: unknown) => operators.ProcessResult {
  const direct = asValueReceiver(receiver);
  if (direct !== undefined) return (value) => direct.receiveValue(value, template);
  const { windows, timestamp, pane } = template;
  return (value) => receiver.receive({ value, windows, timestamp, pane });
}
