import { expect } from "chai";
import "apache-beam";
import { deserializeFn, serializeFn } from "apache-beam/internal/serialize";
import * as beam from "apache-beam";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { Pipeline } from "apache-beam/internal/pipeline";
import type { DoFn } from "apache-beam/transforms/pardo";
import { implementationOf, sdkWrappedFunction } from "../../runners/direct/handlers/deserialized";

/** The process functions (implementations) of the ParDos `build` applies, rebuilt from the pipeline proto as a runner does. */
function deserializedProcesses(build: (input: beam.PCollection<number>) => void): ((...args: never[]) => unknown)[] {
  const pipeline = new Pipeline();
  build(new beam.Root(pipeline).apply(beam.create([1, 2])));
  return Object.values(pipeline.getProto().components!.transforms)
    .filter((t) => t.spec?.urn === "beam:transform:pardo:v1" && t.uniqueName.includes("step"))
    .map((t) => {
      const payload = runnerApi.ParDoPayload.fromBinary(t.spec!.payload);
      const { doFn } = deserializeFn(payload.doFn!.payload) as { doFn: DoFn<unknown, unknown, undefined> };
      return implementationOf(doFn.process);
    });
}

describe("direct runner: deserialized functions called directly", () => {
  it("calls what a deserialized method forwards to, with the same result and receiver", () => {
    const offset = 7;
    const original = {
      base: 100,
      add(x: number) {
        return this.base + x + offset;
      },
    };
    const rebuilt = deserializeFn(serializeFn(original)) as typeof original;
    const direct = implementationOf(rebuilt.add);
    // A deserialized function is a forwarding thunk; what it forwards to is another function.
    expect(direct).to.not.equal(rebuilt.add);
    expect(direct.call(rebuilt, 1)).to.equal(rebuilt.add(1));
    expect(direct.call(rebuilt, 1)).to.equal(108);
  });

  it("keeps a function that was not deserialized as it is", () => {
    const plain = (x: number) => x * 2;
    expect(implementationOf(plain)).to.equal(plain);
  });

  it("calls a recursive deserialized function correctly", () => {
    const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
    const rebuilt = deserializeFn(serializeFn({ factorial })) as { factorial: typeof factorial };
    expect(implementationOf(rebuilt.factorial)(5)).to.equal(120);
  });

  it("finds the user's function inside the SDK's map and flatMap DoFns, and none inside other DoFns", () => {
    const offset = 10;
    const [mapped, flatMapped, plain] = deserializedProcesses((input) => {
      input.map(beam.withName("step map", (x: number) => x + offset));
      input.flatMap(beam.withName("step flatMap", (x: number) => [x, x + offset]));
      input.apply(beam.withName("step parDo", beam.parDo({ process: (x: number) => [x + offset] })));
    });
    const map = sdkWrappedFunction(mapped);
    expect(map?.kind).to.equal("map");
    expect(map?.fn(1)).to.equal(11);
    const flatMap = sdkWrappedFunction(flatMapped);
    expect(flatMap?.kind).to.equal("flatMap");
    expect(flatMap?.fn(1)).to.deep.equal([1, 11]);
    expect(sdkWrappedFunction(plain)).to.equal(undefined);
  });
});
