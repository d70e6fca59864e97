/**
 * Deserialized functions called without their forwarding thunk. The SDK's `deserializeFn`
 * (serialize-closures) rebuilds each function as a thunk that forwards every call to the rebuilt
 * implementation (`thunk.__impl.apply(this, arguments)`), so that a closure may refer to itself
 * while the graph is still being rebuilt. Once `deserializeFn` has returned the implementation is
 * fixed, so the runner's per-element paths (a DoFn's `process`, a CombineFn's `addInput`) call it
 * directly: one call per element instead of two, through a call site that sees one function.
 */
import { PCollection } from "apache-beam/pvalue";

/** What `fn` forwards to when it is a deserialization thunk; `fn` itself otherwise. */
export function implementationOf<F extends (...args: never[]) => unknown>(fn: F): F {
  const impl = (fn as F & { __impl?: unknown }).__impl;
  return typeof impl === "function" ? (impl as F) : fn;
}

/** The user's function inside one of the SDK's own wrapper DoFns, and which wrapper it was. */
export interface WrappedFunction {
  /** `map`: one output per element, the function's result. `flatMap`: the function's result is the outputs. */
  kind: "map" | "flatMap";
  fn: (element: unknown) => unknown;
}

/**
 * `pcollection.map(fn)` and `.flatMap(fn)` wrap `fn` in a DoFn whose `process` calls it: map's is a
 * generator (a generator object and two iterator steps per element, to yield one value), and both
 * reach `fn` through its forwarding thunk. When the deserialized `process` (its implementation) is one
 * of those wrappers — the same source as the SDK's own, which is pinned — this returns `fn` (its
 * implementation), for the runner to call as the wrapper would: `fn(element)`, nothing else.
 */
export function sdkWrappedFunction(process: (...args: never[]) => unknown): WrappedFunction | undefined {
  const kind = process.toString() === WRAPPER_SOURCES.map ? "map" : process.toString() === WRAPPER_SOURCES.flatMap ? "flatMap" : undefined;
  if (kind === undefined) return undefined;
  const fn = (process as { __closure?: () => { fn?: unknown } }).__closure?.().fn;
  return typeof fn === "function" ? { kind, fn: implementationOf(fn as (element: unknown) => unknown) } : undefined;
}

/** The source of the `process` of the SDK's map and flatMap DoFns, from the SDK's own methods. */
const WRAPPER_SOURCES = {
  map: wrapperSource(PCollection.prototype.map),
  flatMap: wrapperSource(PCollection.prototype.flatMap),
};

function wrapperSource(method: (...args: never[]) => unknown): string {
  // The method builds its ParDo and applies it: here it is only built, and its DoFn read from the
  // closure the SDK's build records for serialization.
  const built = (method as (fn: (element: unknown) => unknown) => unknown).call({ apply: (transform: unknown) => transform }, (element) => element) as { __closure?: () => { doFn?: { process?: unknown } } };
  const process = built.__closure?.().doFn?.process;
  if (typeof process !== "function") throw new Error("the SDK's map/flatMap no longer build a ParDo with a process function: the wrapper cannot be recognized");
  return process.toString();
}
