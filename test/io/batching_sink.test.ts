import { expect } from "chai";
import "apache-beam"; // first: the SDK's modules have an import cycle that only resolves from its root
import { directRunner as sdkDirectRunner } from "apache-beam/runners/direct_runner";
import { directRunner } from "../../runners/direct";
import * as beam from "apache-beam";
import Long from "long";
import { writeInBatches, writeLagMetricName } from "../../io/batching_sink";
import { fromArray } from "../../testing";
import { recordWrite, takeRecording, startRecording } from "./slow_destination";

const ELEMENTS = 3000;
const BATCH = 100;
const MAX_IN_FLIGHT = 2;

const runners = [
  { name: "our direct runner", runner: () => directRunner() },
  { name: "the SDK's direct runner", runner: () => sdkDirectRunner() },
];

describe("io: an async batching sink with backpressure", () => {
  for (const { name, runner } of runners) {
    it(`writes every element exactly once and is never outrun, on ${name}`, async () => {
      const recording = startRecording();
      const values = Array.from({ length: ELEMENTS }, (_, i) => i);
      await runner().run((root) => {
        root
          .apply(fromArray(values))
          .apply(writeInBatches("slowSink", (batch: number[]) => recordWrite(recording, batch, 2), { batchSize: BATCH, maxInFlight: MAX_IN_FLIGHT }));
      });
      const { written, peakInFlight, writes } = takeRecording(recording);
      expect([...written].sort((a, b) => a - b)).to.deep.equal(values);
      expect(writes).to.equal(ELEMENTS / BATCH);
      // Without backpressure all 30 writes would start at once.
      expect(peakInFlight).to.be.at.most(MAX_IN_FLIGHT);
    });
  }

  it("fails the job, naming the sink, when a write fails", async () => {
    const recording = startRecording();
    const run = directRunner().run((root) => {
      root
        .apply(fromArray([1, 2, 3]))
        .apply(writeInBatches("flakySink", (batch: number[]) => recordWrite(recording, batch, 1, "disk full"), { batchSize: 2 }));
    });
    let error: Error | undefined;
    await run.catch((e: Error) => (error = e));
    takeRecording(recording);
    expect(error?.message).to.match(/step 'flakySink' failed/).and.to.match(/disk full/);
  });

  it("reports how far behind event time its writes land, counting only elements with a real timestamp", async () => {
    const recording = startRecording();
    const started = Date.now();
    const eventTimes = [started - 60_000, started - 30_000];
    const result = await directRunner().run((root) => {
      const timed = root.apply(fromArray(eventTimes)).apply(beam.assignTimestamps((t: number) => Long.fromNumber(t)));
      // Elements of the global window carry its minimum timestamp: no event time to lag behind.
      const timeless = root.apply(fromArray([1, 2, 3]));
      beam.P([timed, timeless])
        .apply(beam.flatten())
        .apply(writeInBatches("laggingSink", (batch: number[]) => recordWrite(recording, batch, 1), { batchSize: 10 }));
    });
    takeRecording(recording);
    const elapsed = Date.now() - started;
    const lag = (await result.distributions())[writeLagMetricName("laggingSink")] as unknown as { count: number; min: number; max: number; sum: number };
    expect(lag.count).to.equal(2);
    expect(lag.min).to.be.within(30_000, 30_000 + elapsed);
    expect(lag.max).to.be.within(60_000, 60_000 + elapsed);
  });

  it("on our runner, fills its batches across small bundles: a partial batch waits for the next bundles", async () => {
    const recording = startRecording();
    const values = Array.from({ length: 1000 }, (_, i) => i);
    // The grouping makes a stage boundary, so the sink sees bundles of 10.
    await directRunner({ bundleSize: 10 }).run((root) => {
      root
        .apply(fromArray(values))
        .apply(beam.groupBy((x: number) => x))
        .map((group: { key: number }) => group.key)
        .apply(writeInBatches("fillingSink", (batch: number[]) => recordWrite(recording, batch, 1), { batchSize: 100 }));
    });
    const { written, writes } = takeRecording(recording);
    expect([...written].sort((a, b) => a - b)).to.deep.equal(values);
    // A write per bundle would be 100 writes.
    expect(writes).to.be.at.most(15);
  });
});
