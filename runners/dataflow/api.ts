/**
 * The Dataflow v1b3 REST calls this project makes — create, get, list, update (cancel / drain) and
 * job messages of `projects/{project}/locations/{region}/jobs` — with credentials from Application
 * Default Credentials (`google-auth-library`). A custom endpoint (a local one in tests) gets no
 * credentials, as `@google-cloud/storage` does with its `apiEndpoint`. A refusal is reported with
 * the API's own text and what to do about it.
 */
import { GoogleAuth } from "google-auth-library";
import { DataflowFailure } from "./failure";
import type { DataflowJob } from "./job_request";
import { DEFAULT_ENDPOINT } from "./options";

const SCOPES = ["https://www.googleapis.com/auth/cloud-platform"];
/** Bound on every call: a hung connection fails instead of hanging the command. */
const REQUEST_TIMEOUT_MS = 60_000;

/** One job message (`JobMessage`). */
export interface JobMessage {
  id: string;
  time: string;
  messageImportance?: string;
  messageText: string;
}

/** Where the calls go. */
export interface DataflowTarget {
  project: string;
  region: string;
  /** Default: the real API. */
  endpoint?: string;
}

/** A refusal of the Dataflow API: HTTP status, the API's status name and its message. */
export class DataflowApiError extends DataflowFailure {
  constructor(message: string, readonly httpStatus: number, readonly apiStatus: string) {
    super(message);
  }
}

/** The client of one project and region. */
export class DataflowApi {
  private readonly base: string;
  private auth?: GoogleAuth;

  constructor(readonly target: DataflowTarget) {
    const endpoint = (target.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, "");
    this.base = `${endpoint}/v1b3/projects/${encodeURIComponent(target.project)}/locations/${encodeURIComponent(target.region)}/jobs`;
    if (endpoint === DEFAULT_ENDPOINT) this.auth = new GoogleAuth({ scopes: SCOPES });
  }

  /** The ADC client for the real API (undefined for a custom endpoint); fails saying how to log in. */
  async credentials(): Promise<GoogleAuth | undefined> {
    if (this.auth === undefined) return undefined;
    try {
      await this.auth.getAccessToken();
    } catch (error) {
      throw new DataflowFailure(
        `no Google Cloud credentials (Application Default Credentials): ${(error as Error).message.split("\n")[0]} ` +
          "Run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file.",
        2,
      );
    }
    return this.auth;
  }

  /** Creates the job; a 409 means a job of that name is active. */
  createJob(job: DataflowJob): Promise<DataflowJob> {
    return this.call("POST", "", `create job ${job.name}`, job);
  }

  getJob(jobId: string): Promise<DataflowJob> {
    return this.call("GET", `/${encodeURIComponent(jobId)}?view=JOB_VIEW_SUMMARY`, `get job ${jobId}`);
  }

  /** Every job the filter selects (`ACTIVE`, `TERMINATED` or `ALL`), all pages. */
  async listJobs(filter: "ACTIVE" | "TERMINATED" | "ALL" = "ACTIVE"): Promise<DataflowJob[]> {
    const jobs: DataflowJob[] = [];
    let pageToken: string | undefined;
    do {
      const query = new URLSearchParams({ filter });
      if (pageToken) query.set("pageToken", pageToken);
      const page = await this.call<{ jobs?: DataflowJob[]; nextPageToken?: string }>("GET", `?${query}`, "list jobs");
      jobs.push(...(page.jobs ?? []));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return jobs;
  }

  /** The active job of that name, if any (what `--update` replaces). */
  async activeJobNamed(name: string): Promise<DataflowJob | undefined> {
    return (await this.listJobs("ACTIVE")).find((job) => job.name === name);
  }

  /** Asks for `JOB_STATE_CANCELLED` or `JOB_STATE_DRAINED`. */
  requestState(jobId: string, requestedState: "JOB_STATE_CANCELLED" | "JOB_STATE_DRAINED"): Promise<DataflowJob> {
    const verb = requestedState === "JOB_STATE_CANCELLED" ? "cancel" : "drain";
    return this.call("PUT", `/${encodeURIComponent(jobId)}`, `${verb} job ${jobId}`, { requestedState });
  }

  /** Job messages after `startTime` (RFC 3339), oldest first, all pages. */
  async messages(jobId: string, startTime?: string): Promise<JobMessage[]> {
    const messages: JobMessage[] = [];
    let pageToken: string | undefined;
    do {
      const query = new URLSearchParams({ minimumImportance: "JOB_MESSAGE_BASIC" });
      if (startTime) query.set("startTime", startTime);
      if (pageToken) query.set("pageToken", pageToken);
      const page = await this.call<{ jobMessages?: JobMessage[]; nextPageToken?: string }>("GET", `/${encodeURIComponent(jobId)}/messages?${query}`, `read messages of job ${jobId}`);
      messages.push(...(page.jobMessages ?? []));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return messages.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  /** The Cloud Console page of a job. */
  consoleUrl(jobId: string): string {
    return `https://console.cloud.google.com/dataflow/jobs/${this.target.region}/${jobId}?project=${this.target.project}`;
  }

  private async call<T>(method: string, suffix: string, what: string, body?: unknown): Promise<T> {
    const url = `${this.base}${suffix}`;
    const auth = await this.credentials();
    const headers: Record<string, string> = { "content-type": "application/json", ...(auth ? await authHeaders(auth, url) : {}) };
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new DataflowFailure(`cannot reach the Dataflow API at ${url} to ${what}: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) throw refusal(response.status, text, what, this.target);
    return (text === "" ? {} : JSON.parse(text)) as T;
  }
}

async function authHeaders(auth: GoogleAuth, url: string): Promise<Record<string, string>> {
  const headers = await auth.getRequestHeaders(url);
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
}

/** The API's refusal, its own text first, then what usually fixes it. */
function refusal(status: number, text: string, what: string, target: DataflowTarget): DataflowApiError {
  let apiStatus = "";
  let message = text.trim();
  try {
    const error = (JSON.parse(text) as { error?: { status?: string; message?: string } }).error;
    apiStatus = error?.status ?? "";
    message = error?.message ?? message;
  } catch {
    // Not JSON (a proxy's page): keep the text as it came.
  }
  const hint =
    status === 401 || status === 403
      ? ` The account needs roles/dataflow.developer on project ${target.project} (and roles/iam.serviceAccountUser on the workers' service account), and the Dataflow API must be enabled: gcloud services enable dataflow.googleapis.com --project ${target.project}`
      : status === 404
        ? ` Check --project ${target.project} and --region ${target.region}: the job, the project or the region is not known to Dataflow there.`
        : status === 409
          ? " A job of that name is already active: give another --jobName, or --update to replace it."
          : "";
  return new DataflowApiError(`Dataflow API refused to ${what}: HTTP ${status}${apiStatus ? ` ${apiStatus}` : ""}: ${message}.${hint}`, status, apiStatus);
}
