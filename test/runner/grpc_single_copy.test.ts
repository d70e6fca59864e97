/**
 * The known trap: apache-beam used to nest its own @grpc/grpc-js (1.6) while @protobuf-ts/grpc-transport
 * used the hoisted one, and the SDK's portable client then failed at once with "Channel credentials
 * must be a ChannelCredentials object" (apache/beam#33577). package.json's `overrides` force one
 * copy. Here the SDK's own PortableRunner client asks a JobService of ours for a job's state over
 * real gRPC. (The SDK's worker client is exercised by every environment=process test.)
 */
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import "apache-beam";
import { PortableRunner } from "apache-beam/runners/portable_runner/runner";
import { GetJobStateRequest, JobStateEvent, JobState_Enum } from "apache-beam/proto/beam_job_api";

describe("one @grpc/grpc-js for the SDK's clients", () => {
  it("apache-beam resolves the same @grpc/grpc-js as everything else", () => {
    const sdkCopy = require.resolve("@grpc/grpc-js", { paths: [require.resolve("apache-beam")] });
    const transportCopy = require.resolve("@grpc/grpc-js", { paths: [require.resolve("@protobuf-ts/grpc-transport")] });
    expect(sdkCopy).to.equal(require.resolve("@grpc/grpc-js")).and.to.equal(transportCopy);
  });

  it("the SDK's PortableRunner client reaches a JobService over gRPC", async () => {
    const server = new grpc.Server();
    const asked: string[] = [];
    server.addService(
      {
        getState: {
          path: "/org.apache.beam.model.job_management.v1.JobService/GetState",
          requestStream: false,
          responseStream: false,
          requestDeserialize: (bytes: Buffer) => GetJobStateRequest.fromBinary(bytes),
          responseSerialize: (event: JobStateEvent) => Buffer.from(JobStateEvent.toBinary(event)),
          requestSerialize: (request: GetJobStateRequest) => Buffer.from(GetJobStateRequest.toBinary(request)),
          responseDeserialize: (bytes: Buffer) => JobStateEvent.fromBinary(bytes),
        },
      },
      {
        getState: (call: grpc.ServerUnaryCall<GetJobStateRequest, JobStateEvent>, callback: grpc.sendUnaryData<JobStateEvent>) => {
          asked.push(call.request.jobId);
          callback(null, JobStateEvent.create({ state: JobState_Enum.RUNNING }));
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    try {
      const runner = new PortableRunner({ jobEndpoint: `127.0.0.1:${port}` });
      const state = await runner.getJobState("job-1");
      expect(state.state).to.equal(JobState_Enum.RUNNING);
      expect(asked).to.deep.equal(["job-1"]);
    } finally {
      server.forceShutdown();
    }
  });
});
