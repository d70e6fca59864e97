import { expect } from "chai";
import { DataflowApi } from "../../runners/dataflow/api";
import { watchJob } from "../../runners/dataflow/watch";
import { startFakeDataflow, type FakeDataflow } from "../support/fake_dataflow";

/** Watching a job, against the local Dataflow endpoint (support/fake_dataflow.ts; no emulator exists). */
describe("watching a Dataflow job", () => {
  let fake: FakeDataflow;
  let api: DataflowApi;
  beforeEach(async () => {
    fake = await startFakeDataflow();
    api = new DataflowApi({ project: "demo", region: "europe-west10", endpoint: fake.endpoint });
  });
  afterEach(async () => {
    expect(fake.unhandled).to.deep.equal([]);
    await fake.close();
  });

  const create = (name: string, type: "JOB_TYPE_BATCH" | "JOB_TYPE_STREAMING" = "JOB_TYPE_BATCH") => api.createJob({ projectId: "demo", name, type, steps: [] });

  for (const [end, succeeded] of [["JOB_STATE_DONE", true], ["JOB_STATE_FAILED", false], ["JOB_STATE_CANCELLED", false]] as const) {
    it(`ends at ${end}: ${succeeded ? "success" : "failure"}, every state and message printed once, in order`, async () => {
      fake.scriptFor = () => ["JOB_STATE_PENDING", "JOB_STATE_RUNNING", end];
      const job = await create(`job-${end.toLowerCase().replace(/_/g, "-")}`);
      // Two looks before the watch starts: it then finds three messages waiting, more than one page of the fake.
      await api.getJob(job.id!);
      await api.getJob(job.id!);
      const lines: string[] = [];
      const result = await watchJob(api, job.id!, { say: (l) => lines.push(l), pollMs: 20 });
      expect(result).to.deep.equal({ state: end, succeeded });
      expect(lines.map((l) => /^\S+ state (\S+)$/.exec(l)?.[1]).filter(Boolean)).to.deep.equal(["JOB_STATE_RUNNING", end]);
      const messages = lines.filter((l) => l.includes("Job state is now"));
      expect(messages.map((l) => l.split("Job state is now ")[1])).to.deep.equal(["JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", end]);
      expect(fake.requests.some((r) => r.path.endsWith("/messages") && r.query.pageToken !== undefined)).to.equal(true);
    });
  }

  it("stops when aborted, leaving the job running", async () => {
    const job = await create("endless", "JOB_TYPE_STREAMING");
    const stop = new AbortController();
    const lines: string[] = [];
    const watching = watchJob(api, job.id!, {
      say: (l) => {
        lines.push(l);
        if (l.endsWith("JOB_STATE_RUNNING")) stop.abort();
      },
      pollMs: 10_000,
      signal: stop.signal,
    });
    expect(await watching).to.deep.equal({ state: "WATCH_STOPPED", succeeded: false });
    expect(fake.job(job.id!)!.currentState).to.equal("JOB_STATE_RUNNING");
    expect(fake.requests.filter((r) => r.method === "PUT")).to.have.length(0);
  });

  it("a job the API does not know is a 404 naming the project and region to check", async () => {
    const error = await watchJob(api, "2026-01-01_00_00_00-1", { say: () => undefined }).catch((e: Error) => e);
    expect((error as Error).message).to.match(/HTTP 404 NOT_FOUND: \(fake\): Information about job 2026-01-01_00_00_00-1 could not be found/);
    expect((error as Error).message).to.contain("Check --project demo and --region europe-west10");
  });
});
