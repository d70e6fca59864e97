/**
 * A MutateRows attempt with faults injected, for the sink's retry tests: entries of chosen rows fail
 * with UNAVAILABLE (once, or every time) or with INVALID_ARGUMENT (an entry's permanent error), and
 * the others go to the emulator through the real attempt.
 * The emulator cannot be made to fail an entry transiently; everything above this one call (which
 * entries are retried, when, how often, how the job fails) is the production code under test.
 *
 * The sink's writer is serialized with the pipeline, so it reaches this module by reference
 * (registered below) and the plan lives here, module-wide: one plan at a time.
 */
import { requireForSerialization } from "apache-beam/serialization";
import { runsOnJobThread } from "../../sdk/job_thread";
import { mutateRowsOnce, type MutateRowsAttempt } from "../../io/bigtable/mutate";
import { UNAVAILABLE, type Status } from "../../io/bigtable/status";

const INVALID_ARGUMENT = 3;

/** What to break, and what was sent. */
export interface FaultPlan {
  /** Row keys whose entry fails the first time it is sent. */
  failOnce: Set<string>;
  /** Row keys whose entry fails every time. */
  failAlways: Set<string>;
  /** Row keys whose entry Bigtable refuses for good (INVALID_ARGUMENT). */
  refuse: Set<string>;
  /** The row keys of every attempt, in order. */
  attempts: string[][];
}

let plan: FaultPlan | undefined;

/** Starts a plan; the keys given fail as described. */
export function planFaults(faults: { failOnce?: Iterable<string>; failAlways?: Iterable<string>; refuse?: Iterable<string> }): void {
  plan = { failOnce: new Set(faults.failOnce), failAlways: new Set(faults.failAlways), refuse: new Set(faults.refuse), attempts: [] };
}

/** Ends the plan and returns what happened. */
export function takeFaults(): FaultPlan {
  const taken = plan!;
  plan = undefined;
  return taken;
}

/** The attempt: injected failures for planned keys, the real MutateRows for the rest. */
export const flakyMutateRows: MutateRowsAttempt = async (target, entries) => {
  const current = plan!;
  const keys = entries.map((entry) => entry.rowKey.toString("utf8"));
  current.attempts.push(keys);
  const statuses: Status[] = new Array(entries.length);
  const passing: number[] = [];
  keys.forEach((key, i) => {
    if (current.refuse.has(key)) {
      statuses[i] = { code: INVALID_ARGUMENT, message: "injected refusal" };
    } else if (current.failAlways.has(key) || current.failOnce.delete(key)) {
      statuses[i] = { code: UNAVAILABLE, message: "injected fault" };
    } else {
      passing.push(i);
    }
  });
  const written = passing.length > 0 ? await mutateRowsOnce(target, passing.map((i) => entries[i])) : [];
  passing.forEach((i, j) => (statuses[i] = written[j]));
  return statuses;
};

requireForSerialization("beam-ts-native/test/io/flaky_bigtable", exports);
// The plan is set and read by the test on its own thread: the sink's writes run on that thread.
runsOnJobThread("beam-ts-native/test/io/flaky_bigtable");
