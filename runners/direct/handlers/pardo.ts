/**
 * Handler for `beam:transform:pardo:v1`: splits (see split.ts), identities, fixed windows (fixed_windows.ts), and DoFns that take no context (plain `map`, `flatMap`, and
 * `parDo` without side inputs, metrics or window/timestamp/pane params) — the bulk of any pipeline —
 * or a context of metrics alone (counters and distributions: a step that counts what passes).
 *
 * The SDK's ParDo operator pays per element for what such a DoFn never uses: a context provider
 * update, a fresh closure and a result builder, and for a metric the name of its cell built again
 * and looked up at every update. This operator calls `process` and hands each output on in its
 * input's window, timestamp and pane, exactly as the SDK's operator does, a metric's updates going
 * straight to its cell (the one the SDK's lookup finds); every other DoFn goes to the SDK's operator
 * unchanged.
 */
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import * as operators from "apache-beam/worker/operators";
import { deserializeFn } from "apache-beam/internal/serialize";
import { IDENTITY_DOFN_URN, JS_WINDOW_INTO_DOFN_URN, SERIALIZED_JS_DOFN_INFO, SPLITTING_JS_DOFN_URN } from "apache-beam/internal/urns";
import type { DoFn } from "apache-beam/transforms/pardo";
import type { WindowFn } from "apache-beam/transforms/window";
import type { MetricsContainer } from "apache-beam/worker/metrics";
import type { IntervalWindow, WindowedValue } from "apache-beam/values";
import { PAR_DO } from "../plan/urns";
import { SplitOperator, type SplitOptions } from "./split";
import { FixedWindowsOperator, isFixedWindows } from "./fixed_windows";
import { implementationOf, sdkWrappedFunction } from "./deserialized";
import type { ValueReceiver } from "../../../sdk/value_receiver";

/** An operator of ours: it also takes an element as its value in the windows of another (see `ValueReceiver`). */
export interface NativeOperator extends operators.IOperator {
  processValue(value: unknown, like: WindowedValue<unknown>): operators.ProcessResult;
}

/**
 * Our operator for a ParDo `transform` — context-free and metrics-only DoFns, identities, fixed
 * windows and splits — or undefined
 * when the SDK's operator must run it. Ours hand their outputs on as values in their input's windows
 * (sdk/value_receiver.ts): `getReceiver` gives the stage's receivers, which take them so.
 */
export function nativeParDo(
  transformId: string,
  components: runnerApi.Components,
  getReceiver: (pcollection: string) => ValueReceiver,
  metrics: MetricsContainer,
): NativeOperator | undefined {
  const transform = components.transforms[transformId];
  if (transform?.spec?.urn !== PAR_DO) return undefined;
  const spec = runnerApi.ParDoPayload.fromBinary(transform.spec.payload);
  if (Object.keys(spec.sideInputs).length > 0) return undefined;
  if (spec.doFn?.urn === SPLITTING_JS_DOFN_URN) {
    const receivers = Object.fromEntries(Object.entries(transform.outputs).map(([tag, pc]) => [tag, getReceiver(pc)]));
    return new SplitOperator(transformId, receivers, deserializeFn(spec.doFn.payload) as SplitOptions);
  }
  const outputs = Object.values(transform.outputs);
  if (outputs.length !== 1) return undefined;
  if (spec.doFn?.urn === IDENTITY_DOFN_URN) return new IdentityOperator(transformId, getReceiver(outputs[0]));
  if (spec.doFn?.urn === JS_WINDOW_INTO_DOFN_URN) {
    if (!isFixedWindows(windowFnUrn(components, outputs[0]))) return undefined;
    const { windowFn } = deserializeFn(spec.doFn.payload) as { windowFn: WindowFn<IntervalWindow> };
    return new FixedWindowsOperator(transformId, windowFn, getReceiver(outputs[0]));
  }
  if (spec.doFn?.urn !== SERIALIZED_JS_DOFN_INFO) return undefined;
  const { doFn, context } = deserializeFn(spec.doFn.payload) as { doFn: DoFn<unknown, unknown, undefined>; context: unknown };
  if (context === undefined || context === null) return new ContextFreeParDoOperator(transformId, doFn, getReceiver(outputs[0]));
  const metricContext = withMetricCells(context, transformId, metrics);
  return metricContext && new ContextFreeParDoOperator(transformId, doFn, getReceiver(outputs[0]), metricContext);
}

/** The URN of the WindowFn of `pcollection`'s windowing strategy, as the pipeline proto records it. */
function windowFnUrn(components: runnerApi.Components, pcollection: string): string | undefined {
  const strategy = components.pcollections[pcollection]?.windowingStrategyId;
  return strategy === undefined ? undefined : components.windowingStrategies[strategy]?.windowFn?.urn;
}

/** A metric param of a DoFn's context, as the SDK serializes it (a `beam.counter` or `beam.distribution`). */
interface MetricParam {
  parDoParamName: "metric";
  metricType: string;
  name: string;
}

/**
 * `context` with each metric param bound to its cell of `metrics` — what the SDK's operator hands
 * the DoFn, without its lookup per update — or undefined when the context holds anything else.
 */
function withMetricCells(context: unknown, transformId: string, metrics: MetricsContainer): object | undefined {
  if (typeof context !== "object") return undefined;
  const entries = Object.entries(context as object);
  if (entries.length === 0) return undefined;
  // As the SDK does: the serialized params stay untouched, the DoFn gets objects built on them.
  const bound = Object.create(context);
  for (const [name, value] of entries) {
    if (typeof value !== "object" || value === null || (value as { parDoParamName?: unknown }).parDoParamName !== "metric") return undefined;
    const cell = metrics.getMetric(transformId, undefined, value as MetricParam);
    const param = Object.create(value);
    param.provider = { update: (_param: unknown, amount: number) => cell.update(amount) };
    bound[name] = param;
  }
  return bound;
}


/** A DoFn with no context, or one of metrics alone (`context`, bound to their cells). */
class ContextFreeParDoOperator implements NativeOperator {
  private readonly processFn: DoFn<unknown, unknown, undefined>["process"];
  /** The user's function of an SDK `map` (called for its one output) or `flatMap` (for its outputs), called as the SDK's wrapper calls it. */
  private readonly mapFn: ((element: unknown) => unknown) | undefined;
  private readonly flatMapFn: ((element: unknown) => unknown) | undefined;

  constructor(
    readonly transformId: string,
    private readonly doFn: DoFn<unknown, unknown, undefined>,
    private readonly receiver: ValueReceiver,
    private readonly context?: object,
  ) {
    this.processFn = implementationOf(doFn.process);
    // The SDK's map and flatMap wrappers take no context: with one, the DoFn is the user's own.
    const wrapped = context === undefined ? sdkWrappedFunction(this.processFn) : undefined;
    this.mapFn = wrapped?.kind === "map" ? wrapped.fn : undefined;
    this.flatMapFn = wrapped?.kind === "flatMap" ? wrapped.fn : undefined;
  }

  async startBundle(): Promise<void> {
    this.doFn.startBundle?.(this.context as undefined);
  }

  process(input: WindowedValue<unknown>): operators.ProcessResult {
    return this.processValue(input.value, input);
  }

  processValue(value: unknown, like: WindowedValue<unknown>): operators.ProcessResult {
    const { mapFn, flatMapFn } = this;
    if (mapFn !== undefined) return this.receiver.receiveValue(mapFn(value), like);
    // With a context, the SDK's operator calls the DoFn once per window: so does this one.
    if (this.context !== undefined && like.windows.length !== 1) return this.processEachWindow(value, like);
    const outputs = flatMapFn !== undefined ? (flatMapFn(value) as Iterable<unknown> | undefined) : this.processFn.call(this.doFn, value, this.context as undefined);
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

  private processEachWindow(value: unknown, like: WindowedValue<unknown>): operators.ProcessResult {
    let pending: Promise<void>[] | undefined;
    for (const window of like.windows) {
      const result = this.process({ value, windows: [window], timestamp: like.timestamp, pane: like.pane });
      if (result !== operators.NonPromise) (pending ??= []).push(result);
    }
    if (pending === undefined) return operators.NonPromise;
    return Promise.all(pending).then(() => undefined);
  }

  async finishBundle(): Promise<void> {
    const outputs = this.doFn.finishBundle?.(this.context as undefined);
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
