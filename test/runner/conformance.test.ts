/**
 * Runner conformance: our direct runner must give what the SDK's direct runner gives.
 *
 * Every case of conformance_cases.ts runs on both runners and the outputs are compared as multisets.
 * Where the SDK's runner cannot serve as the reference, the case says why and ours is checked
 * against an expected output computed in the case. Ours runs three times: with its default bundles,
 * and with bundles of two and of one element, because the SDK's runner runs everything as one bundle
 * and so cannot reveal a result that depends on bundling; a case whose result may depend on how
 * bundles interleave runs that many more times (its `repetitions`). Metrics and failures are checked here too: they
 * are observed through the PipelineResult and the rejected promise, not through outputs.
 */
import { expect } from "chai";
import * as beam from "apache-beam";
import Long from "long";
import type { Runner } from "apache-beam/runners/runner";
import { directRunner as sdkDirectRunner } from "apache-beam/runners/direct_runner";
import { directRunner } from "../../runners/direct";
import { startSharedPool } from "../../runners/direct/execution/worker_pool";
import { expectSameElements, fromArray, runPipeline } from "../../testing";
import { CASES, type ConformanceCase, type Expected } from "./conformance_cases";

/**
 * Our runner in the configurations every case runs on. These jobs are too short to start worker
 * threads themselves (runners/direct/execution/shipping.ts): at 2 workers `ready` starts them (or
 * finds them idle), so that the parts cross.
 */
const OUR_RUNNERS: { label: string; create: () => Runner; ready?: () => Promise<void> }[] = [1, 2].flatMap((workers) => {
  const ready = workers === 1 ? undefined : () => startSharedPool(workers - 1);
  return [
    { label: `ours on ${workers} worker(s)`, create: () => directRunner({ workers }), ready },
    { label: `ours on ${workers} worker(s) in bundles of 2`, create: () => directRunner({ workers, bundleSize: 2 }), ready },
    { label: `ours on ${workers} worker(s) in bundles of 1`, create: () => directRunner({ workers, bundleSize: 1 }), ready },
  ];
});

describe("runner conformance: our direct runner against the SDK's", () => {
  describe("pipelines", () => {
    for (const conformanceCase of CASES) {
      const { name, sdkCannotRun, tolerance, repetitions = 1 } = conformanceCase;
      const title = sdkCannotRun === undefined ? name : `${name} [ours vs expected: ${sdkCannotRun}]`;
      it(title, async () => {
        let reference: Expected;
        let referenceName: string;
        if (sdkCannotRun === undefined) {
          referenceName = "the SDK runner";
          reference = await runCase(conformanceCase, sdkDirectRunner());
          // The expectation is checked on the SDK too, so a wrong expectation cannot hide behind ours.
          if (conformanceCase.expected !== undefined) {
            expectSameOutputs("the SDK runner vs expected", reference, conformanceCase.expected, tolerance);
          }
        } else {
          referenceName = "expected";
          reference = expectedOf(conformanceCase);
        }
        for (const ours of OUR_RUNNERS) {
          for (let run = 1; run <= repetitions; run++) {
            await ours.ready?.();
            const actual = await runCase(conformanceCase, ours.create());
            const label = repetitions === 1 ? ours.label : `${ours.label}, run ${run} of ${repetitions}`;
            expectSameOutputs(`${label} vs ${referenceName}`, actual, reference, tolerance);
          }
        }
      });
    }
  });

  describe("metrics", () => {
    /**
     * Two steps increment a counter of the same name (counters() merges them by name, across steps),
     * one counter is declared but never incremented (absent from counters()), and a distribution
     * records every value.
     */
    function countingPipeline(root: beam.Root): beam.PCollection<number> {
      return root
        .apply(fromArray([3, 1, 4, 1, 5]))
        .map(
          beam.withName("countInput", (x: number, metrics: { elements: beam.Counter; sizes: beam.Metric<number> }) => {
            metrics.elements.increment();
            metrics.sizes.update(x);
            return x * 2;
          }),
          { elements: beam.counter("elements"), sizes: beam.distribution("sizes") },
        )
        .map(
          beam.withName("countDoubled", (x: number, metrics: { elements: beam.Counter; big: beam.Counter; never: beam.Counter }) => {
            metrics.elements.increment(10);
            if (x > 6) metrics.big.increment();
            if (x < 0) metrics.never.increment();
            return x;
          }),
          { elements: beam.counter("elements"), big: beam.counter("big"), never: beam.counter("neverIncremented") },
        );
    }

    async function metricsOf(runner: Runner) {
      const result = await runner.run(countingPipeline);
      return { counters: await result.counters(), distributions: await result.distributions() };
    }

    it("counters and distributions are read from the PipelineResult, keyed by metric name", async () => {
      const sdk = await metricsOf(sdkDirectRunner());
      const ours = await metricsOf(directRunner());
      const expected = {
        counters: { elements: 5 + 5 * 10, big: 2 },
        distributions: { sizes: { count: 5, sum: 14, min: 1, max: 5 } },
      };
      expect(sdk).to.deep.equal(expected);
      expect(ours).to.deep.equal(sdk);
    });

    /**
     * A step with metrics alone in its context, over elements in two sliding windows each: the SDK's
     * operator calls it once per window (what it counts, and what it emits, which a later count sees).
     */
    function countingInWindows(root: beam.Root): beam.PCollection<number> {
      return root
        .apply(fromArray([10, 45, 50]))
        .apply(beam.assignTimestamps((t: number) => Long.fromNumber(t * 1000)))
        .apply(beam.windowInto(beam.slidingWindows(60, 30)))
        .map(
          beam.withName("countPerWindow", (t: number, metrics: { calls: beam.Counter; seen: beam.Metric<number> }) => {
            metrics.calls.increment();
            metrics.seen.update(t);
            return t;
          }),
          { calls: beam.counter("calls"), seen: beam.distribution("seen") },
        )
        .map(beam.withName("countOutputs", (t: number, metrics: { outputs: beam.Counter }) => (metrics.outputs.increment(), t)), { outputs: beam.counter("outputs") });
    }

    it("a step with metrics over elements in several windows runs once per window", async () => {
      const sdk = await sdkDirectRunner().run(countingInWindows);
      const expected = { counters: { calls: 6, outputs: 6 }, distributions: { seen: { count: 6, sum: 210, min: 10, max: 50 } } };
      expect({ counters: await sdk.counters(), distributions: await sdk.distributions() }).to.deep.equal(expected);
      for (const workers of [1, 2]) {
        const ours = await directRunner({ workers }).run(countingInWindows);
        expect({ counters: await ours.counters(), distributions: await ours.distributions() }, `${workers} worker(s)`).to.deep.equal(expected);
      }
    });
  });

  describe("failures", () => {
    const FAILING_STEP = "rejectLargeValues";

    /** A pipeline whose named step throws on one element. */
    function failingPipeline(root: beam.Root): beam.PCollection<number> {
      return root.apply(fromArray([1, 2, 300, 4])).map(
        beam.withName(FAILING_STEP, (x: number) => {
          if (x > 100) throw new Error(`value ${x} is too large`);
          return x;
        }),
      );
    }

    /** Like {@link failingPipeline}, but the DoFn throws from finishBundle. */
    function failingFinishBundlePipeline(root: beam.Root): beam.PCollection<number> {
      return root.apply(fromArray([1, 2])).apply(
        beam.withName(FAILING_STEP, beam.parDo({
          process: function* (x: number) {
            yield x;
          },
          finishBundle: function () {
            throw new Error("flush failed");
          },
        })),
      );
    }

    it("the SDK runner rejects a pipeline whose DoFn throws, in process or in finishBundle", async () => {
      await rejectionOf(runPipeline(failingPipeline, { runner: sdkDirectRunner() }));
      await rejectionOf(runPipeline(failingFinishBundlePipeline, { runner: sdkDirectRunner() }));
    });

    it("ours rejects a pipeline whose DoFn throws in process, naming the step and the error", async () => {
      const error = await rejectionOf(runPipeline(failingPipeline, { runner: directRunner() }));
      expect(error.message).to.include(FAILING_STEP).and.to.include("value 300 is too large");
    });

    it("ours rejects a pipeline whose DoFn throws in finishBundle, naming the step and the error", async () => {
      const error = await rejectionOf(runPipeline(failingFinishBundlePipeline, { runner: directRunner() }));
      expect(error.message).to.include(FAILING_STEP).and.to.include("flush failed");
    });
  });
});

function runCase(conformanceCase: ConformanceCase, runner: Runner): Promise<Expected> {
  return runPipeline(conformanceCase.build, { runner }) as Promise<Expected>;
}

function expectedOf(conformanceCase: ConformanceCase): Expected {
  if (conformanceCase.expected === undefined) {
    throw new Error(`Case '${conformanceCase.name}' cannot run on the SDK runner, so it needs an expected output`);
  }
  return conformanceCase.expected;
}

/**
 * Compares collected outputs as multisets: one collection, or each tag of a record of them. The
 * failure message starts with `what` (which runner against which reference) and the tag.
 */
function expectSameOutputs(what: string, actual: Expected, expected: Expected, tolerance = 0): void {
  const compare = (label: string, got: unknown, want: unknown[]) => {
    try {
      expect(got, label).to.be.an("array");
      expectSameElements(got as unknown[], want, { tolerance });
    } catch (error) {
      (error as Error).message = `${label}: ${(error as Error).message}`;
      throw error;
    }
  };
  if (Array.isArray(expected)) {
    compare(what, actual, expected);
    return;
  }
  expect(actual, what).to.have.all.keys(Object.keys(expected));
  for (const [tag, elements] of Object.entries(expected)) {
    compare(`${what}, output '${tag}'`, (actual as { [tag: string]: unknown })[tag], elements);
  }
}

/** The error a promise rejects with; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  expect.fail("expected the pipeline to fail, but it succeeded");
}
