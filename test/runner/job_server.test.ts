/**
 * The Job API: the SDK's own PortableRunner (written by nobody here: it is the test of our server)
 * submits pipelines to our job server with `environmentType: "LOOPBACK"` — its workers in the
 * client's process, started through its external worker pool — and they run to DONE with the same
 * output as in process: a batch pipeline and a streaming TestStream pipeline.
 */
import { expect } from "chai";
import * as beam from "apache-beam";
import * as combiners from "apache-beam/transforms/combiners";
import { PortableRunner } from "apache-beam/runners/portable_runner/runner";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { directRunner } from "../../runners/direct";
import { JobServer } from "../../runners/portable/job_server";
import { testStream } from "../../sdk/test_stream";
import { expectSameElements } from "../../testing";
import { FileCollection } from "../support/file_collect";

async function outputsOf(build: (root: beam.Root) => any, run: (pipeline: (root: beam.Root) => void) => Promise<void>) {
  const collection = new FileCollection();
  try {
    await run(collection.collecting(build));
  } finally {
    var outputs = collection.read();
  }
  return outputs;
}

describe("the job server, with the SDK's PortableRunner as client", function () {
  this.timeout(120_000);
  let server: JobServer;
  let endpoint: string;
  before(async () => {
    server = new JobServer();
    endpoint = await server.listen(0);
  });
  after(() => server.stop());

  const submit = async (pipeline: (root: beam.Root) => void) => {
    const result = await new PortableRunner({ jobEndpoint: endpoint, environmentType: "LOOPBACK" }).runAsync(pipeline);
    expect(await result.waitUntilFinish(60_000)).to.equal(JobState_Enum.DONE);
  };
  const inProcess = async (pipeline: (root: beam.Root) => void) => {
    await directRunner().run(pipeline);
  };

  it("runs a batch pipeline to DONE with the in-process output", async () => {
    const build = (root: beam.Root) =>
      root
        .apply(beam.create(["a b", "b c c", "d"]))
        .flatMap(beam.withName("words", (line: string) => line.split(" ")))
        .apply(beam.countPerElement());
    const expected = await outputsOf(build, inProcess);
    const actual = await outputsOf(build, submit);
    expectSameElements(actual.output, expected.output);
    expect(actual.output).to.have.length(4);
  });

  it("runs a TestStream pipeline to DONE with the in-process output", async () => {
    const build = (root: beam.Root) =>
      root
        .apply(testStream<number>().addElements({ value: 1, timestamp: 1_000 }, { value: 2, timestamp: 2_000 }).advanceWatermarkTo(70_000).addElements({ value: 5, timestamp: 61_000 }).advanceWatermarkToInfinity())
        .apply(beam.windowInto(beam.fixedWindows(60)))
        .apply(beam.groupBy((_: number) => "all").combining((x: number) => x, combiners.sum, "sum"))
        .map(beam.withName("sumOnly", (kv: { key: string; sum: number }) => kv.sum));
    const expected = await outputsOf(build, inProcess);
    const actual = await outputsOf(build, submit);
    expectSameElements(actual.output, expected.output);
    expect(actual.output).to.have.length(2);
  });
});
