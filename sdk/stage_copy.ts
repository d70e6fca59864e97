/**
 * Which copy of its stage an operator is, where a runner runs several copies of one stage at the
 * same time (ours at `workers` > 1: one per thread taking parts of the stage's bundles). A step that
 * shares its work out among the copies reads it — the text sink: copy i of n writes the shards
 * ≡ i (mod n), each into one temp file for the whole job, so that finalizing a shard is a rename,
 * not a copy of every byte. A runner that says nothing (the SDK's worker, Dataflow) runs each
 * operator as copy 0 of 1: its own.
 */
import type { OperatorContext } from "apache-beam/worker/operators";

/** Copy `index` (0 ≤ index < count) of `count` copies of a stage running at once. */
export interface StageCopy {
  index: number;
  count: number;
}

/** What a runner running copies of a stage adds to the operator context. */
export interface StageCopyContext {
  stageCopy: StageCopy;
}

/** The copy this operator context belongs to; copy 0 of 1 where the runner says nothing. */
export function stageCopyOf(context: OperatorContext): StageCopy {
  return (context as Partial<StageCopyContext>).stageCopy ?? { index: 0, count: 1 };
}
