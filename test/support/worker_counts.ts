/**
 * Suites that must give the same results whatever the number of worker threads the direct runner
 * uses: each is defined once per count, and its tests read the count of the copy running.
 */
import { startSharedPool } from "../../runners/direct/execution/worker_pool";

export const WORKER_COUNTS = [1, 2];

let current = WORKER_COUNTS[0];

/** Defines the suite `body` once per worker count, titled with it. */
export function describeAtWorkerCounts(title: string, body: () => void): void {
  for (const workers of WORKER_COUNTS) {
    describe(`${title} [${workers} worker${workers === 1 ? "" : "s"}]`, () => {
      before(async function () {
        current = workers;
        if (workers === 1) return;
        // These jobs are too short to start threads themselves (shipping.ts): the suite's jobs
        // reuse threads started here, so their parts cross from the first test.
        this.timeout(60_000);
        await startSharedPool(workers - 1);
      });
      body();
    });
  }
}

/** The worker count of the suite copy running now. */
export function testWorkers(): number {
  return current;
}
