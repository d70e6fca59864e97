/**
 * Deserialized functions called without their forwarding thunk. The SDK's `deserializeFn`
 * (serialize-closures) rebuilds each function as a thunk that forwards every call to the rebuilt
 * implementation (`thunk.__impl.apply(this, arguments)`), so that a closure may refer to itself
 * while the graph is still being rebuilt. Once `deserializeFn` has returned the implementation is
 * fixed, so the runner's per-element paths (a DoFn's `process`, a CombineFn's `addInput`) call it
 * directly: one call per element instead of two, through a call site that sees one function.
 */

/** What `fn` forwards to when it is a deserialization thunk; `fn` itself otherwise. */
export function implementationOf<F extends (...args: never[]) => unknown>(fn: F): F {
  const impl = (fn as F & { __impl?: unknown }).__impl;
  return typeof impl === "function" ? (impl as F) : fn;
}
