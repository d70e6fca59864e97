import { expect } from "chai";
import * as beam from "apache-beam";
import { getRegisteredModules, requireForSerialization } from "apache-beam/serialization";
import { availableParallelism } from "os";
import { directRunner, StepFailure } from "../../runners/direct";
import { resolveOptions } from "../../runners/direct/options";
import { fromArray, runPipeline } from "../../testing";

describe("direct runner: options and failures", () => {
  it("rejects a bundle size that is not a positive integer, naming the option", () => {
    expect(() => directRunner({ bundleSize: 0 })).to.throw(/bundleSize must be a positive integer, got 0/);
    expect(() => directRunner({ bundleSize: 1.5 })).to.throw(/bundleSize/);
  });

  it("runs on the machine's cores unless told: workers defaults to os.availableParallelism(), and must be a positive integer", () => {
    expect(resolveOptions().workers).to.equal(availableParallelism());
    expect(resolveOptions({ workers: undefined }).workers).to.equal(availableParallelism());
    expect(resolveOptions({ workers: 1 }).workers).to.equal(1);
    expect(() => directRunner({ workers: 0 })).to.throw(/workers must be a positive integer, got 0/);
  });

  it("verifySerialization passes a pipeline whose registered modules all load by name", async () => {
    const out = await runPipeline((root) => root.apply(fromArray([1, 2])).map((x: number) => x * 10), {
      runner: directRunner({ verifySerialization: true }),
    });
    expect(out.sort()).to.deep.equal([10, 20]);
  });

  it("verifySerialization fails a pipeline when a registered module would not load on a worker", async () => {
    // Registering a name nothing resolves is what a module copied under a wrong name does.
    const name = "beam-ts-native/no/such/module";
    requireForSerialization(name, { unreachable: () => 1 });
    let error: Error | undefined;
    try {
      await runPipeline((root) => root.apply(fromArray([1])), { runner: directRunner({ verifySerialization: true }) }).catch(
        (e: Error) => (error = e),
      );
    } finally {
      // The SDK keeps registrations for the life of the process; take this one back for the tests after.
      const registered = getRegisteredModules();
      registered.splice(registered.indexOf(name), 1);
    }
    expect(error?.message).to.match(/cannot be loaded by name.*beam-ts-native\/no\/such\/module/);
  });

  it("a failing step's error shows the element truncated, and keeps the original stack", async () => {
    const big = { payload: "x".repeat(5000) };
    let error: unknown;
    await runPipeline((root) =>
      root.apply(fromArray([big])).map(
        beam.withName("explode", (e: { payload: string }) => {
          throw new Error(`cannot handle ${e.payload.length} chars`);
        }),
      ),
    ).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(StepFailure);
    const failure = error as StepFailure;
    expect(failure.step).to.equal("map(explode)");
    expect(failure.message).to.match(/step 'map\(explode\)' failed processing on element \{ payload: 'xxx/);
    expect(failure.message).to.match(/… \(\d+ chars\): cannot handle 5000 chars/);
    expect(failure.message.length).to.be.below(700);
    expect(failure.stack).to.match(/caused by Error: cannot handle 5000 chars\n\s+at /);
  });
});
