/**
 * The Job API: the SDK's own PortableRunner (written by nobody here: it is the test of our server)
 * submits pipelines to our job server with `environmentType: "LOOPBACK"` — its workers in the
 * client's process, started through its external worker pool — and they run to DONE with the same
 * output as in process: a batch pipeline and a streaming TestStream pipeline. Artifacts the client
 * offers are staged on the server (the reverse-retrieval protocol), checked against their SHA-256.
 */
import { expect } from "chai";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as beam from "apache-beam";
import { Pipeline } from "apache-beam/internal/pipeline";
import { ArtifactFilePayload, type Pipeline as PipelineProto } from "apache-beam/proto/beam_runner_api";
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

  it("runs a batch pipeline in worker processes it starts when the environment is not LOOPBACK", async () => {
    const build = (root: beam.Root) => root.apply(beam.create(["x", "y", "x"])).apply(beam.countPerElement());
    const expected = await outputsOf(build, inProcess);
    const actual = await outputsOf(build, async (pipeline) => {
      const proto = new Pipeline();
      pipeline(new beam.Root(proto));
      const submitted = proto.getProto();
      // An environment the client passes through untouched (js_default would make it pack a container).
      for (const environment of Object.values(submitted.components!.environments)) environment.urn = "beam:env:process:v1";
      const result = await new PortableRunner({ jobEndpoint: endpoint }).runPipeline(submitted);
      expect(await result.waitUntilFinish(60_000)).to.equal(JobState_Enum.DONE);
    });
    expectSameElements(actual.output, expected.output);
    expect(actual.output).to.have.length(2);
  });

  describe("artifact staging", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "job-server-artifact-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** A small pipeline whose every environment depends on `file` (declared with `sha256`). */
    const withDependency = (collection: FileCollection, file: string, sha256: string): PipelineProto => {
      const pipeline = new Pipeline();
      collection.collecting((root) => root.apply(beam.create([1, 2, 3])).map(beam.withName("double", (x: number) => 2 * x)))(new beam.Root(pipeline));
      const proto = pipeline.getProto();
      for (const environment of Object.values(proto.components!.environments)) {
        environment.dependencies.push({
          typeUrn: "beam:artifact:type:file:v1",
          typePayload: ArtifactFilePayload.toBinary({ path: file, sha256 }),
          roleUrn: "beam:artifact:role:staging_to:v1",
          rolePayload: new Uint8Array(),
        });
      }
      return proto;
    };

    it("stages the files the client offers; the job's pipeline names the staged copies", async () => {
      // Larger than one chunk of the client's file stream (64 KiB), so the file crosses in several.
      const content = crypto.randomBytes(300_000);
      const file = path.join(dir, "dependency.bin");
      fs.writeFileSync(file, content);
      const sha256 = crypto.createHash("sha256").update(content).digest("hex");
      const collection = new FileCollection();
      const runner = new PortableRunner({ jobEndpoint: endpoint, environmentType: "LOOPBACK" });
      const result = (await runner.runPipeline(withDependency(collection, file, sha256))) as unknown as { jobId: string; waitUntilFinish(ms: number): Promise<JobState_Enum> };
      expect(await result.waitUntilFinish(60_000)).to.equal(JobState_Enum.DONE);
      expectSameElements(collection.read().output, [2, 4, 6]);

      const { pipeline } = await (await runner.getClient()).getPipeline({ jobId: result.jobId }).response;
      const dependencies = Object.values(pipeline!.components!.environments).flatMap((e) => e.dependencies);
      expect(dependencies).to.have.length.above(0);
      for (const dependency of dependencies) {
        const staged = ArtifactFilePayload.fromBinary(dependency.typePayload);
        expect(staged.path.startsWith(server.stagingDirectory), `${staged.path} is under the server's staging folder`).to.equal(true);
        expect(staged.sha256).to.equal(sha256);
        expect(fs.readFileSync(staged.path).equals(content), "the staged copy has the file's bytes").to.equal(true);
        expect(dependency.roleUrn).to.equal("beam:artifact:role:staging_to:v1");
      }
    });

    it("refuses a file whose bytes do not match the SHA-256 the client declared", async () => {
      const file = path.join(dir, "dependency.bin");
      fs.writeFileSync(file, "these bytes");
      // Not LOOPBACK: the client would leave its worker pool running when staging fails. A process
      // environment is one the client passes through untouched; the job never starts anyway.
      const pipeline = withDependency(new FileCollection(), file, "0".repeat(64));
      for (const environment of Object.values(pipeline.components!.environments)) environment.urn = "beam:env:process:v1";
      let error: Error | undefined;
      try {
        await new PortableRunner({ jobEndpoint: endpoint }).runPipeline(pipeline);
      } catch (caught) {
        error = caught as Error;
      }
      expect(error?.message).to.include("the client declared").and.to.include(file);
    });
  });
});
