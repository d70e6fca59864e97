/** Settings of the direct runner, with their defaults. */
export interface DirectRunnerOptions {
  /**
   * Maximum elements per bundle (default 1000). Larger bundles amortize per-bundle work
   * (startBundle/finishBundle, sink flushes); smaller ones bound memory and latency.
   */
  bundleSize?: number;
  /**
   * Check that the pipeline survives what a remote runner does to it (default false): the pipeline
   * proto is round-tripped through its binary encoding, and every module registered for
   * serialization must be loadable by name, as Dataflow's worker will load it.
   */
  verifySerialization?: boolean;
}

/** Options with every default filled in. */
export type ResolvedDirectRunnerOptions = Required<DirectRunnerOptions>;

/** Fills in defaults and rejects nonsense early, naming the option. */
export function resolveOptions(options: DirectRunnerOptions = {}): ResolvedDirectRunnerOptions {
  const resolved = { bundleSize: 1000, verifySerialization: false, ...options };
  if (!Number.isInteger(resolved.bundleSize) || resolved.bundleSize < 1) {
    throw new Error(`directRunner option bundleSize must be a positive integer, got ${options.bundleSize}`);
  }
  return resolved;
}
