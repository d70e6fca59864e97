/**
 * Beam's Job API for our runner: a JobService (Prepare, Run, GetJobs, GetState, GetPipeline,
 * GetStateStream, GetMessageStream, GetJobMetrics, Cancel) over gRPC, so Beam's own portable clients
 * (the TypeScript SDK's PortableRunner with `jobEndpoint`) submit pipelines to us. A job runs on the
 * direct runner with its stages in the SDK workers the pipeline's environment names: an external
 * worker pool (LOOPBACK: the client's own process) or, for any other environment, worker processes
 * we start. PrepareJob names this server as the artifact staging endpoint (artifact_staging.ts):
 * the client's dependencies are staged here before Run, and the job's pipeline names the staged
 * copies (our workers load the code where it already is; the staged files are kept for the job).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { ArtifactStagingService } from "apache-beam/proto/beam_artifact_api";
import { JobService, JobState_Enum, JobMessage_MessageImportance, type JobStateEvent, type JobMessagesResponse } from "apache-beam/proto/beam_job_api";
import { DirectRunner, type DirectPipelineResult } from "../direct";
import { ArtifactStaging } from "./artifact_staging";
import { definitionOf } from "./grpc_service";

const EXTERNAL_ENVIRONMENT_URN = "beam:env:external:v1";
const TERMINAL = new Set([JobState_Enum.DONE, JobState_Enum.FAILED, JobState_Enum.CANCELLED]);

interface Job {
  id: string;
  name: string;
  pipeline: runnerApi.Pipeline;
  state: JobState_Enum;
  result?: DirectPipelineResult;
  /** Every state change and message so far, replayed to each new stream. */
  events: JobMessagesResponse[];
  listeners: Set<(event: JobMessagesResponse) => void>;
}

/** The job server. */
export class JobServer {
  private readonly server = new grpc.Server();
  private readonly prepared = new Map<string, { pipeline: runnerApi.Pipeline; name: string }>();
  private readonly jobs = new Map<string, Job>();
  /** Where clients' artifacts are staged (a fresh temporary folder, removed by stop()). */
  private readonly stagingRoot = fs.mkdtempSync(path.join(os.tmpdir(), "beam-job-server-artifacts-"));
  private readonly staging = new ArtifactStaging(this.stagingRoot);
  private address = "";
  private ids = 0;

  constructor(private readonly log: (line: string) => void = () => undefined) {
    const unary = <I, O>(handle: (request: I) => O | Promise<O>) => (call: grpc.ServerUnaryCall<I, O>, callback: grpc.sendUnaryData<O>) => {
      Promise.resolve()
        .then(() => handle(call.request))
        .then((response) => callback(null, response), (error: Error) => callback({ code: grpc.status.INVALID_ARGUMENT, details: error.message }));
    };
    this.server.addService(definitionOf(JobService), {
      prepare: unary((request: { pipeline?: runnerApi.Pipeline; jobName: string }) => {
        if (request.pipeline === undefined) throw new Error("PrepareJobRequest has no pipeline");
        const preparationId = `preparation-${++this.ids}`;
        this.prepared.set(preparationId, { pipeline: request.pipeline, name: request.jobName });
        this.staging.open(preparationId, request.pipeline.components?.environments ?? {});
        return { preparationId, artifactStagingEndpoint: { url: this.address, authentication: undefined }, stagingSessionToken: preparationId };
      }),
      run: unary(async (request: { preparationId: string }) => {
        const preparation = this.prepared.get(request.preparationId);
        if (preparation === undefined) throw new Error(`no prepared job '${request.preparationId}'`);
        this.prepared.delete(request.preparationId);
        const staged = await this.staging.staged(request.preparationId).catch((error: Error) => {
          throw new Error(`artifact staging of '${request.preparationId}' failed: ${error.message}`);
        });
        const pipeline = runnerApi.Pipeline.clone(preparation.pipeline);
        for (const [id, dependencies] of Object.entries(staged ?? {})) pipeline.components!.environments[id].dependencies = dependencies;
        return { jobId: this.start(pipeline, preparation.name) };
      }),
      getJobs: unary(() => ({
        jobInfo: [...this.jobs.values()].map((j) => ({ jobId: j.id, jobName: j.name, pipelineOptions: undefined, state: j.state })),
      })),
      getState: unary((request: { jobId: string }) => this.stateEvent(this.job(request.jobId))),
      getPipeline: unary((request: { jobId: string }) => ({ pipeline: this.job(request.jobId).pipeline })),
      cancel: unary((request: { jobId: string }) => {
        const job = this.job(request.jobId);
        job.result?.cancel("cancelled through the Job API");
        return { state: job.state };
      }),
      getJobMetrics: unary(async (request: { jobId: string }) => {
        const infos = (await this.job(request.jobId).result?.rawMetrics()) ?? [];
        return { metrics: { attempted: infos, committed: infos } };
      }),
      describePipelineOptions: unary(() => ({ options: [] })),
      getStateStream: (call: grpc.ServerWritableStream<{ jobId: string }, JobStateEvent>) =>
        this.stream(call, (event) => (event.response.oneofKind === "stateResponse" ? event.response.stateResponse : undefined)),
      getMessageStream: (call: grpc.ServerWritableStream<{ jobId: string }, JobMessagesResponse>) => this.stream(call, (event) => event),
    });
    this.server.addService(definitionOf(ArtifactStagingService), { reverseArtifactRetrievalService: this.staging.reverseArtifactRetrievalService });
  }

  /** Listens on `port` (0: a free one) on loopback; resolves with the address. */
  async listen(port = 0): Promise<string> {
    const bound = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
    );
    this.address = `127.0.0.1:${bound}`;
    return this.address;
  }

  /** Cancels every job still running and stops serving. */
  async stop(): Promise<void> {
    for (const job of this.jobs.values()) if (!TERMINAL.has(job.state)) job.result?.cancel("job server stopping");
    await Promise.all([...this.jobs.values()].map((j) => j.result?.waitUntilFinish().catch(() => undefined)));
    this.server.forceShutdown();
    fs.rmSync(this.stagingRoot, { recursive: true, force: true });
  }

  /** Where the artifacts of prepared jobs are staged. */
  get stagingDirectory(): string {
    return this.stagingRoot;
  }

  private job(id: string): Job {
    const job = this.jobs.get(id);
    if (job === undefined) throw new Error(`no job '${id}'`);
    return job;
  }

  private stateEvent(job: Job): JobStateEvent {
    return { state: job.state, timestamp: { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 } };
  }

  private publish(job: Job, event: JobMessagesResponse): void {
    job.events.push(event);
    for (const listener of job.listeners) listener(event);
  }

  private setState(job: Job, state: JobState_Enum): void {
    job.state = state;
    this.publish(job, { response: { oneofKind: "stateResponse", stateResponse: this.stateEvent(job) } });
  }

  private message(job: Job, importance: JobMessage_MessageImportance, text: string): void {
    this.log(`job ${job.id}: ${text}`);
    const messageResponse = { messageId: String(job.events.length), time: new Date().toISOString(), importance, messageText: text };
    this.publish(job, { response: { oneofKind: "messageResponse", messageResponse } });
  }

  /** Streams a job's events (past ones first) until it ends. */
  private stream<T>(call: grpc.ServerWritableStream<{ jobId: string }, T>, pick: (event: JobMessagesResponse) => T | undefined): void {
    const job = this.jobs.get(call.request.jobId);
    if (job === undefined) {
      // A server stream's 'error' is what sends the status (destroy() would drop the call without one).
      call.emit("error", Object.assign(new Error(`no job '${call.request.jobId}'`), { code: grpc.status.NOT_FOUND }));
      return;
    }
    const send = (event: JobMessagesResponse) => {
      const picked = pick(event);
      if (picked !== undefined) call.write(picked);
      if (event.response.oneofKind === "stateResponse" && TERMINAL.has(event.response.stateResponse.state)) {
        job.listeners.delete(send);
        call.end();
      }
    };
    for (const event of job.events) send(event);
    if (!TERMINAL.has(job.state)) job.listeners.add(send);
    call.on("cancelled", () => job.listeners.delete(send));
  }

  private start(pipeline: runnerApi.Pipeline, name: string): string {
    const job: Job = { id: `job-${++this.ids}`, name, pipeline, state: JobState_Enum.STOPPED, events: [], listeners: new Set() };
    this.jobs.set(job.id, job);
    this.setState(job, JobState_Enum.STARTING);
    const pool = Object.values(pipeline.components?.environments ?? {}).find((e) => e.urn === EXTERNAL_ENVIRONMENT_URN);
    const workerPool = pool === undefined ? undefined : runnerApi.ExternalPayload.fromBinary(pool.payload).endpoint?.url;
    const runner = new DirectRunner(workerPool === undefined ? { environment: "process" } : { environment: "external", workerPool });
    void (async () => {
      try {
        job.result = await runner.runPipeline(pipeline);
        this.setState(job, JobState_Enum.RUNNING);
        const state = await job.result.waitUntilFinish();
        const error = job.result.error();
        if (error !== undefined) this.message(job, JobMessage_MessageImportance.JOB_MESSAGE_ERROR, error.message);
        this.setState(job, state);
      } catch (error) {
        this.message(job, JobMessage_MessageImportance.JOB_MESSAGE_ERROR, (error as Error).message);
        this.setState(job, JobState_Enum.FAILED);
      }
    })();
    return job.id;
  }
}
