/**
 * A sink's writes that may finish after its bundle has ended.
 *
 * Beam's contract is that a bundle's output is durable when its `finishBundle` returns, so a sink
 * waits there for its writes, and the runner can start nothing more on that stage meanwhile: the
 * next bundle's processing waits for the destination's round trip. A runner that tracks durability
 * itself (ours: it acknowledges source input only once every write derived from it has landed) can
 * let the next bundle run while those writes finish. Such a runner offers `deferWrites` on the
 * operator context; a sink that finds it hands over a promise of its writes instead of awaiting
 * them, and the runner holds the bundle's input unacknowledged until that promise resolves (and
 * fails the job if it rejects). Where it is absent (the SDK's worker, hence Dataflow), the sink
 * awaits its writes in `finishBundle` as Beam requires.
 */
import type { OperatorContext } from "apache-beam/worker/operators";

/** What a runner that tracks durability adds to the operator context. */
export interface DeferredWritesContext {
  /** Takes over a bundle's writes: they may finish after the bundle; `written` rejects if one failed. */
  deferWrites(written: Promise<void>): void;
}

/** The context's `deferWrites`, or undefined where the runner wants writes finished within the bundle. */
export function writeDeferrer(context: OperatorContext): ((written: Promise<void>) => void) | undefined {
  const deferrer = (context as Partial<DeferredWritesContext>).deferWrites;
  return deferrer === undefined ? undefined : (written) => deferrer.call(context, written);
}
