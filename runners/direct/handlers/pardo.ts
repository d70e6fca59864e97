/**
 * Handler for `beam:transform:pardo:v1`: splits (see split.ts), identities, and DoFns that take no context (plain `map`, `flatMap`, and
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
import { IDENTITY_DOFN_URN, SERIALIZED_JS_DOFN_INFO, SPLITTING_JS_DOFN_URN } from "apache-beam/internal/urns";
import type { DoFn } from "apache-beam/transforms/pardo";
import type { WindowedValue } from "apache-beam/values";
import { PAR_DO } from "../plan/urns";
import { SplitOperator, type SplitOptions } from "./split";
import { implementationOf, sdkWrappedFunction } from "./deserialized";
import type { ValueReceiver } from "../../../sdk/value_receiver";

/** An operator of ours: it also takes an element as its value in the windows of another (see `ValueReceiver`). */
export interface NativeOperator extends operators.IOperator {
  processValue(value: unknown, like: WindowedValue<unknown>): operators.ProcessResult;
}

/**
 * Our operator for a ParDo `transform` — context-free DoFns, identities and splits — or undefined
 * when the SDK's operator must run it. Ours hand their outputs on as values in their input's windows
 * (sdk/value_receiver.ts): `getReceiver` gives the stage's receivers, which take them so.
 */
export function nativeParDo(
  transformId: string,
  transform: runnerApi.PTransform,
  getReceiver: (pcollection: string) => ValueReceiver,
): NativeOperator | undefined {
  if (transform.spec?.urn !== PAR_DO) return undefined;
  const spec = runnerApi.ParDoPayload.fromBinary(transform.spec.payload);
  if (Object.keys(spec.sideInputs).length > 0) return undefined;
  if (spec.doFn?.urn === SPLITTING_JS_DOFN_URN) {
    const receivers = Object.fromEntries(Object.entries(transform.outputs).map(([tag, pc]) => [tag, getReceiver(pc)]));
    return new SplitOperator(transformId, receivers, deserializeFn(spec.doFn.payload) as SplitOptions);
  }
  const outputs = Object.values(transform.outputs);
  if (outputs.length !== 1) return undefined;
  if (spec.doFn?.urn === IDENTITY_DOFN_URN) return new IdentityOperator(transformId, getReceiver(outputs[0]));
  if (spec.doFn?.urn !== SERIALIZED_JS_DOFN_INFO) return undefined;
  const { doFn, context } = deserializeFn(spec.doFn.payload) as { doFn: DoFn<unknown, unknown, undefined>; context: unknown };
  if (context !== undefined && context !== null) return undefined;
  return new ContextFreeParDoOperator(transformId, doFn, getReceiver(outputs[0]));
}

class ContextFreeParDoOperator implements NativeOperator {
  private readonly processFn: DoFn<unknown, unknown, undefined>["process"];
  /** The user's function of an SDK `map` (called for its one output) or `flatMap` (for its outputs), called as the SDK's wrapper calls it. */
  private readonly mapFn: ((element: unknown) => unknown) | undefined;
  private readonly flatMapFn: ((element: unknown) => unknown) | undefined;

  constructor(
    readonly transformId: string,
    private readonly doFn: DoFn<unknown, unknown, undefined>,
    private readonly receiver: ValueReceiver,
  ) {
    this.processFn = implementationOf(doFn.process);
    const wrapped = sdkWrappedFunction(this.processFn);
    this.mapFn = wrapped?.kind === "map" ? wrapped.fn : undefined;
    this.flatMapFn = wrapped?.kind === "flatMap" ? wrapped.fn : undefined;
  }

  async startBundle(): Promise<void> {
    this.doFn.startBundle?.(undefined);
  }

  process(input: WindowedValue<unknown>): operators.ProcessResult {
    return this.processValue(input.value, input);
  }

  processValue(value: unknown, like: WindowedValue<unknown>): operators.ProcessResult {
    const { mapFn, flatMapFn } = this;
    if (mapFn !== undefined) return this.receiver.receiveValue(mapFn(value), like);
    const outputs = flatMapFn !== undefined ? (flatMapFn(value) as Iterable<unknown> | undefined) : this.processFn.call(this.doFn, value, undefined);
    if (!outputs) return operators.NonPromise;
    // Most DoFns return one output in an array: handed on without an iterator.
    if (Array.isArray(outputs) && outputs.length === 1) return this.receiver.receiveValue(outputs[0], like);
    let pending: Promise<void>[] | undefined;
    for (const output of outputs as Iterable<unknown>) {
      const result = this.receiver.receiveValue(output, like);
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

/** The SDK's identity DoFn (`withCoderInternal`, reshuffles' halves): its input, handed on. */
class IdentityOperator implements NativeOperator {
  constructor(
    readonly transformId: string,
    private readonly receiver: ValueReceiver,
  ) {}

  async startBundle(): Promise<void> {}

  async finishBundle(): Promise<void> {}

  process(input: WindowedValue<unknown>): operators.ProcessResult {
    return this.receiver.receive(input);
  }

  processValue(value: unknown, like: WindowedValue<unknown>): operators.ProcessResult {
    return this.receiver.receiveValue(value, like);
  }
}
