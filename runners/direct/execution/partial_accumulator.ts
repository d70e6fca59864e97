/**
 * Combiner lifting across threads: a worker folds a bundle's inputs to a lifted combine into one
 * accumulator per key and window, and sends those instead of the elements. On the main thread each
 * arrives as the value of a KV wrapped in a PartialAccumulator, which the combine's aggregator
 * (handlers/grouping.ts) merges instead of adding as an input; the engine's grouping never knows.
 */
export class PartialAccumulator {
  constructor(readonly accumulator: unknown) {}
}
