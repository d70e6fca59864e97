/**
 * A local Dataflow v1b3 endpoint for tests — there is no Dataflow emulator. It speaks the REST calls
 * `runners/dataflow/api.ts` makes (create, get, list, update, messages under
 * `/v1b3/projects/{p}/locations/{r}/jobs`), records every request, and plays each job through a
 * script of states, one step per `get`. Like the real service it answers 409 to a second active
 * job of the same name, marks a job replaced by `replaceJobId` UPDATED, cancels through CANCELLING
 * and drains (streaming only) through DRAINING. Anything else answers 501 and is recorded in
 * `unhandled`, so a test fails loudly when the client calls something this fake does not know.
 */
import { expect } from "chai";
import * as http from "http";
import type { AddressInfo } from "net";
import { startFakeGcs, type FakeGcs } from "./fake_gcs";

/** One request as it arrived. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: any;
  authorization?: string;
}

interface FakeJob {
  job: Record<string, any>;
  script: string[];
  messages: { id: string; time: string; messageImportance: string; messageText: string }[];
}

/** A running fake. */
export interface FakeDataflow {
  /** `http://127.0.0.1:PORT`, for `--dataflowEndpoint`. */
  endpoint: string;
  requests: RecordedRequest[];
  unhandled: string[];
  /** The states a new job goes through, one per `get` (default: PENDING, RUNNING, then DONE for batch; streaming stays RUNNING). */
  scriptFor: (job: Record<string, any>) => string[];
  /** The next request matching `method` (and `pathPart`) is answered with this error. */
  refuseNext(method: string, status: number, apiStatus: string, message: string, pathPart?: string): void;
  /** The stored job. */
  job(id: string): Record<string, any> | undefined;
  /** The creates received, in order. */
  created(): Record<string, any>[];
  close(): Promise<void>;
}

const ACTIVE = new Set(["JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_CANCELLING", "JOB_STATE_DRAINING"]);
/** Small pages, so the client's paging is exercised. */
const PAGE_SIZE = 2;

/** Starts a fake on a free loopback port. */
export async function startFakeDataflow(): Promise<FakeDataflow> {
  const jobs = new Map<string, FakeJob>();
  const refusals: { method: string; status: number; apiStatus: string; message: string; pathPart?: string }[] = [];
  let counter = 0;
  let clock = Date.parse("2026-01-01T00:00:00Z");
  const tick = () => new Date((clock += 1000)).toISOString();

  const setState = (entry: FakeJob, state: string) => {
    if (entry.job.currentState === state) return;
    entry.job.currentState = state;
    entry.job.currentStateTime = tick();
    entry.messages.push({ id: `m${entry.messages.length + 1}`, time: entry.job.currentStateTime, messageImportance: "JOB_MESSAGE_BASIC", messageText: `Job state is now ${state}` });
  };

  const fake: FakeDataflow = {
    endpoint: "",
    requests: [],
    unhandled: [],
    scriptFor: (job) => (job.type === "JOB_TYPE_STREAMING" ? ["JOB_STATE_PENDING", "JOB_STATE_RUNNING"] : ["JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_DONE"]),
    refuseNext: (method, status, apiStatus, message, pathPart) => void refusals.push({ method, status, apiStatus, message, pathPart }),
    job: (id) => jobs.get(id)?.job,
    created: () => fake.requests.filter((r) => r.method === "POST").map((r) => r.body),
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://fake");
    const raw = await readBody(req);
    const body = raw.length > 0 ? JSON.parse(raw.toString("utf8")) : undefined;
    fake.requests.push({ method: req.method!, path: url.pathname, query: Object.fromEntries(url.searchParams), body, authorization: req.headers.authorization });
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    const error = (status: number, apiStatus: string, message: string) => json(status, { error: { code: status, message, status: apiStatus } });
    const refusal = refusals.findIndex((r) => r.method === req.method && (r.pathPart === undefined || url.pathname.includes(r.pathPart)));
    if (refusal !== -1) {
      const [r] = refusals.splice(refusal, 1);
      return error(r.status, r.apiStatus, r.message);
    }
    const m = url.pathname.match(/^\/v1b3\/projects\/([^/]+)\/locations\/([^/]+)\/jobs(?:\/([^/]+))?(\/messages)?$/);
    if (m === null) {
      fake.unhandled.push(`${req.method} ${url.pathname}`);
      return error(501, "UNIMPLEMENTED", `fake Dataflow does not implement ${req.method} ${url.pathname}`);
    }
    const [, project, region, jobId, messages] = m.map((part) => (part === undefined ? undefined : decodeURIComponent(part)));
    const inPlace = [...jobs.values()].filter((e) => e.job.projectId === project && e.job.location === region);

    if (req.method === "POST" && jobId === undefined) {
      const active = inPlace.find((e) => e.job.name === body.name && ACTIVE.has(e.job.currentState));
      if (body.replaceJobId === undefined && active !== undefined) {
        return error(409, "ALREADY_EXISTS", `(fake): The workflow could not be created. Causes: (fake): There is already an active job named ${body.name}. If you want to submit a second job, try again by setting a different name.`);
      }
      if (body.replaceJobId !== undefined) {
        const replaced = jobs.get(body.replaceJobId);
        if (replaced === undefined || !ACTIVE.has(replaced.job.currentState)) return error(400, "FAILED_PRECONDITION", `(fake): job ${body.replaceJobId} is not running, it cannot be updated`);
      }
      const id = `2026-01-01_00_00_${String(++counter).padStart(2, "0")}-${1000000 + counter}`;
      const entry: FakeJob = { job: { ...body, id, location: region, createTime: tick() }, script: [], messages: [] };
      entry.script = fake.scriptFor(entry.job);
      setState(entry, "JOB_STATE_QUEUED");
      if (body.replaceJobId !== undefined) {
        const replaced = jobs.get(body.replaceJobId)!;
        setState(replaced, "JOB_STATE_UPDATED");
        replaced.job.replacedByJobId = id;
      }
      jobs.set(id, entry);
      return json(200, entry.job);
    }
    if (req.method === "GET" && jobId === undefined) {
      const filter = url.searchParams.get("filter") ?? "ALL";
      const selected = inPlace.filter((e) => filter === "ALL" || (filter === "ACTIVE") === ACTIVE.has(e.job.currentState));
      return json(200, page(selected.map((e) => e.job), url.searchParams.get("pageToken"), "jobs"));
    }
    const entry = jobId === undefined ? undefined : jobs.get(jobId);
    if (entry === undefined || entry.job.projectId !== project || entry.job.location !== region) {
      return error(404, "NOT_FOUND", `(fake): Information about job ${jobId} could not be found in our system. Please double check that the API being used is projects.locations.jobs.get.`);
    }
    if (req.method === "GET" && messages !== undefined) {
      const start = url.searchParams.get("startTime");
      const selected = entry.messages.filter((msg) => start === null || msg.time >= start);
      return json(200, page(selected, url.searchParams.get("pageToken"), "jobMessages"));
    }
    if (req.method === "GET") {
      const response = { ...entry.job };
      advance(entry);
      return json(200, response);
    }
    if (req.method === "PUT") {
      const requested = body?.requestedState;
      if (!ACTIVE.has(entry.job.currentState)) return error(400, "FAILED_PRECONDITION", `(fake): job ${jobId} has already finished (${entry.job.currentState})`);
      if (requested === "JOB_STATE_CANCELLED") {
        entry.script = ["JOB_STATE_CANCELLED"];
        setState(entry, "JOB_STATE_CANCELLING");
      } else if (requested === "JOB_STATE_DRAINED") {
        if (entry.job.type !== "JOB_TYPE_STREAMING") return error(400, "FAILED_PRECONDITION", `(fake): only streaming jobs can be drained; job ${jobId} is a batch job`);
        entry.script = ["JOB_STATE_DRAINED"];
        setState(entry, "JOB_STATE_DRAINING");
      } else {
        return error(400, "INVALID_ARGUMENT", `(fake): requestedState ${requested} is not supported here`);
      }
      entry.job.requestedState = requested;
      return json(200, entry.job);
    }
    fake.unhandled.push(`${req.method} ${url.pathname}`);
    return error(501, "UNIMPLEMENTED", `fake Dataflow does not implement ${req.method} ${url.pathname}`);
  };

  /** The next state of the script, after a `get` has shown the current one. */
  const advance = (entry: FakeJob) => {
    if (!ACTIVE.has(entry.job.currentState) && entry.job.currentState !== "JOB_STATE_QUEUED") return;
    const next = entry.script.shift();
    if (next !== undefined) setState(entry, next);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: 500, message: e.message } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/**
 * This fake and the fake GCS for one mocha suite: started before it, closed after it, and after
 * each test checked for calls neither knows.
 */
export function useFakeDataflowAndGcs(): { readonly dataflow: FakeDataflow; readonly gcs: FakeGcs } {
  const fakes = {} as { dataflow: FakeDataflow; gcs: FakeGcs };
  before(async () => {
    fakes.gcs = await startFakeGcs();
    fakes.dataflow = await startFakeDataflow();
  });
  after(async () => {
    await fakes.gcs?.close();
    await fakes.dataflow?.close();
  });
  afterEach(() => {
    expect(fakes.dataflow.unhandled, "calls the fake Dataflow does not know").to.deep.equal([]);
    expect(fakes.gcs.unhandled, "calls the fake GCS does not know").to.deep.equal([]);
  });
  return fakes;
}

function page<T>(items: T[], token: string | null, key: string): Record<string, unknown> {
  const start = token === null ? 0 : Number(token);
  const next = start + PAGE_SIZE < items.length ? String(start + PAGE_SIZE) : undefined;
  return { [key]: items.slice(start, start + PAGE_SIZE), nextPageToken: next };
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
