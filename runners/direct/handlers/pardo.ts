/**
 * Handler for `beam:transform:pardo:v1`: splits (see split.ts), and DoFns that take no context (plain `map`, `flatMap`, and
 * `parDo` without side inputs, metrics or window/timestamp/pane params) — the bulk of any pipeline.
 *
 * The SDK's ParDo operator pays per element for what such a DoFn never uses: a context provider
 * update, a fresh closure and a result builder. This operator calls `process` and hands each output
 * on in its input's window, timestamp and pane, exactly as the SDK's operator does; every other
 * DoFn goes to the SDK's operator unchanged.
 */
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import * as operators from "apache-beam/worker/operators";
import { deserializeFn } from "apache-beam/internal/serialize";
import { SERIALIZED_JS_DOFN_INFO, SPLITTING_JS_DOFN_URN } from "apache-beam/internal/urns";
import type { DoFn } from "apache-beam/transforms/pardo";
import type { WindowedValue } from "apache-beam/values";
import { PAR_DO } from "../plan/urns";
import { SplitOperator, type SplitOptions } from "./split";
import { implementationOf } from "./deserialized";

/**
 * Our operator for a ParDo `transform` — context-free DoFns and splits — or undefined when the
 * SDK's operator must run it.
 */
export function nativeParDo(
  transformId: string,
  transform: runnerApi.PTransform,
  getReceiver: (pcollection: string) => operators.Receiver,
): operators.IOperator | undefined {
  if (transform.spec?.urn !== PAR_DO) return undefined;
  const spec = runnerApi.ParDoPayload.fromBinary(transform.spec.payload);
  if (Object.keys(spec.sideInputs).length > 0) return undefined;
  if (spec.doFn?.urn === SPLITTING_JS_DOFN_URN) {
    const receivers = Object.fromEntries(Object.entries(transform.outputs).map(([tag, pc]) => [tag, getReceiver(pc)]));
    return new SplitOperator(transformId, receivers, deserializeFn(spec.doFn.payload) as SplitOptions);
  }
  if (spec.doFn?.urn !== SERIALIZED_JS_DOFN_INFO) return undefined;
  const outputs = Object.values(transform.outputs);
  if (outputs.length !== 1) return undefined;
  const { doFn, context } = deserializeFn(spec.doFn.payload) as { doFn: DoFn<unknown, unknown, undefined>; context: unknown };
  if (context !== undefined && context !== null) return undefined;
  return new ContextFreeParDoOperator(transformId, doFn, getReceiver(outputs[0]));
}

class ContextFreeParDoOperator implements operators.IOperator {
  private readonly processFn: DoFn<unknown, unknown, undefined>["process"];

  constructor(
    readonly transformId: string,
    private readonly doFn: DoFn<unknown, unknown, undefined>,
    private readonly receiver: operators.Receiver,
  ) {
    this.processFn = implementationOf(doFn.process);
  }

  async startBundle(): Promise<void> {
    this.doFn.startBundle?.(undefined);
  }

  process(input: WindowedValue<unknown>): operators.ProcessResult {
    const outputs = this.processFn.call(this.doFn, input.value, undefined);
    if (!outputs) return operators.NonPromise;
    // Most DoFns return one output in an array: handed on without an iterator.
    if (Array.isArray(outputs) && outputs.length === 1) {
      return this.receiver.receive({ value: outputs[0], windows: input.windows, timestamp: input.timestamp, pane: input.pane });
    }
    let pending: Promise<void>[] | undefined;
    for (const value of outputs as Iterable<unknown>) {
      const result = this.receiver.receive({ value, windows: input.windows, timestamp: input.timestamp, pane: input.pane });
      if (result !== operators.NonPromise) (pending ??= []).push(result);
    }
    if (pending === undefined) return operators.NonPromise;
    return pending.length === 1 ? pending[0] : Promise.all(pending).then(() => undefined);
  }

  async finishBundle(): Promise<void> {
    const outputs = this.doFn.finishBundle?.(undefined);
    if (!outputs) return;
    for (const element of outputs) {
      const result = this.receiver.receive(element);
      if (result !== operators.NonPromise) await result;
    }
  }
}
