/**
 * environment "process": every conformance case runs in the SDK's own worker processes over the Fn
 * API (every element encoded at the stage boundaries, side inputs over the state channel, metrics in
 * the responses) and must give what it gives in process, with one and with two workers. Outputs are
 * collected through files (test/support/file_collect.ts), the same way on both sides, since the
 * steps that see them run in other processes. The worker processes start once for the file (an
 * SdkWorkerPool kept across its jobs): each job still registers its own descriptors and runs in
 * workers rebuilt from its pipeline proto, but pays no start-up.
 */
import { expect } from "chai";
import * as beam from "apache-beam";
import { directRunner, type DirectRunnerOptions } from "../../runners/direct";
import { SdkWorkerPool } from "../../runners/direct/execution/fn_api/sdk_worker_pool";
import { expectSameElements } from "../../testing";
import { FileCollection } from "../support/file_collect";
import { CASES } from "./conformance_cases";

async function outputsOf(build: (root: beam.Root) => any, options: DirectRunnerOptions): Promise<Record<string, unknown[]>> {
  const collection = new FileCollection();
  try {
    await directRunner(options).run(collection.collecting(build));
  } finally {
    var outputs = collection.read();
  }
  return outputs;
}

function expectSame(what: string, actual: Record<string, unknown[]>, expected: Record<string, unknown[]>, tolerance = 0): void {
  expect(Object.keys(actual).sort(), what).to.deep.equal(Object.keys(expected).sort());
  for (const [tag, elements] of Object.entries(expected)) {
    try {
      expectSameElements(actual[tag], elements, { tolerance });
    } catch (error) {
      (error as Error).message = `${what}, output '${tag}': ${(error as Error).message}`;
      throw error;
    }
  }
}

describe("environment=process: stages in SDK worker processes over the Fn API", function () {
  this.timeout(300_000);
  let pool: SdkWorkerPool;
  before(() => {
    pool = new SdkWorkerPool();
  });
  after(() => pool.stop());

  for (const conformanceCase of CASES) {
    it(`${conformanceCase.name}: same output as in process, with 1 and 2 workers`, async () => {
      const reference = await outputsOf(conformanceCase.build, {});
      for (const workers of [1, 2]) {
        // Two workers get bundles of 2, so the bundles spread over both.
        const actual = await outputsOf(conformanceCase.build, { environment: "process", workers, bundleSize: workers === 2 ? 2 : 1000, sdkWorkerPool: pool });
        expectSame(`${workers} worker(s) vs in process`, actual, reference, conformanceCase.tolerance);
      }
    });
  }
});
