/**
 * The job's web UI: an HTTP server (node:http) on loopback serving the job page, the aggregates
 * dashboard, their JSON and a server-sent-events stream of both, and the Drain / Cancel buttons'
 * endpoints. Everything the pages load comes from here (the chart library from node_modules), so
 * they work offline.
 *
 *   GET  /               the job page            GET /api/job         JobView (job_view.ts)
 *   GET  /dashboard      the aggregates          GET /api/dashboard   DashboardView (aggregates_watch.ts)
 *   GET  /events         SSE: `update` events, data {job, dashboard}, every UPDATE_MS
 *   POST /api/drain      what a first Ctrl-C does     POST /api/cancel   what a second Ctrl-C does
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import type { AddressInfo } from "net";
import type { DirectPipelineResult } from "../runners/direct";
import type { DeadLetter } from "../transforms/dead_letter";
import type { Transaction } from "../transforms/transaction";
import type { CategoryMinute } from "../transforms/revenue_per_minute";
import { JobMonitor, type Distribution, type JobView } from "./job_view";
import { DeadLetterWatch } from "./dead_letter_watch";
import { AggregatesWatch, type DashboardView } from "./aggregates_watch";
import { outputOf, type StepOutput } from "./step_output";

/** The default port of `--ui`. */
export const DEFAULT_UI_PORT = 8074;
/** The UI's port is taken by another program: said with the port, so a caller can pick another. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`the web UI cannot listen on port ${port}: it is in use (pick another with --ui-port, or 0 for any free one)`);
  }
}

/** How often the pages are sent fresh figures. */
const UPDATE_MS = 500;

/** Which outputs of the job the UI watches (by step name and output tag); each is optional. */
export interface WatchedOutputs {
  /** Dead letters (transforms/dead_letter.ts), counted by reason with samples. */
  deadLetters?: StepOutput;
  /** Valid transactions, for the top-5 channels and states. */
  transactions?: StepOutput;
  /** Panes of revenue per category per minute (transforms/revenue_per_minute.ts). */
  revenuePerMinute?: StepOutput;
}

export interface JobUiOptions {
  /** 0 picks a free port (default {@link DEFAULT_UI_PORT}). */
  port?: number;
}

/** A running UI: where it is, what it shows, and how to stop it. */
export interface JobUi {
  url: string;
  /** Shows `result`'s job from now on, watching `watch`'s outputs (call it right after the job starts). */
  show(result: DirectPipelineResult, watch?: WatchedOutputs): void;
  close(): Promise<void>;
}

/** A job the UI shows: its result, the watchers on its outputs, and the monitor of its snapshots. */
class WatchedJob {
  private readonly monitor = new JobMonitor();
  private readonly deadLetters = new DeadLetterWatch();
  private readonly aggregates = new AggregatesWatch();
  private readonly stops: (() => void)[] = [];

  constructor(
    readonly result: DirectPipelineResult,
    watch: WatchedOutputs,
  ) {
    const pipeline = result.status().pipeline;
    const on = (what: StepOutput | undefined, listener: (value: unknown) => void) => {
      if (what !== undefined) this.stops.push(result.observe(outputOf(pipeline, what), (e) => listener(e.value)));
    };
    on(watch.deadLetters, (v) => this.deadLetters.add(v as DeadLetter));
    on(watch.transactions, (v) => this.aggregates.addTransaction(v as Transaction));
    on(watch.revenuePerMinute, (v) => this.aggregates.addPane(v as CategoryMinute));
  }

  async update(): Promise<{ job: JobView; dashboard: DashboardView }> {
    const metrics = {
      counters: await this.result.counters(),
      distributions: (await this.result.distributions()) as unknown as Record<string, Distribution>,
    };
    return { job: this.monitor.view(this.result.status(), metrics, this.deadLetters.view()), dashboard: this.aggregates.view() };
  }

  stop(): void {
    this.stops.forEach((stop) => stop());
  }
}

/** What the page shows before the job has started. */
function startingView(): JobView {
  const now = Date.now();
  return {
    state: "STARTING",
    elapsedMs: 0,
    startedAtMs: now,
    steps: [],
    roots: [],
    stages: [],
    sources: [],
    sinks: [],
    deadLetters: { total: 0, reasons: [] },
    errors: [],
    dropped: { late: 0, closedWindow: 0 },
  };
}

/** Files the pages load, by URL path. */
const ASSETS: Record<string, { file: string; type: string }> = {
  "/": { file: "static/job.html", type: "text/html; charset=utf-8" },
  "/dashboard": { file: "static/dashboard.html", type: "text/html; charset=utf-8" },
  "/static/style.css": { file: "static/style.css", type: "text/css; charset=utf-8" },
  "/static/job.js": { file: "static/job.js", type: "text/javascript; charset=utf-8" },
  "/static/common.js": { file: "static/common.js", type: "text/javascript; charset=utf-8" },
  "/static/graph.js": { file: "static/graph.js", type: "text/javascript; charset=utf-8" },
  "/static/dashboard.js": { file: "static/dashboard.js", type: "text/javascript; charset=utf-8" },
  "/vendor/uPlot.iife.min.js": { file: require.resolve("uplot/dist/uPlot.iife.min.js"), type: "text/javascript; charset=utf-8" },
  "/vendor/uPlot.min.css": { file: require.resolve("uplot/dist/uPlot.min.css"), type: "text/css; charset=utf-8" },
};

/** The folder of the pages' files: beside this file, or (from a build in dist/) in the sources. */
function staticRoot(): string {
  const candidates = [__dirname, path.join(__dirname, "..", "..", "web")];
  return candidates.find((dir) => fs.existsSync(path.join(dir, "static", "job.html"))) ?? __dirname;
}

/** Starts the UI on 127.0.0.1 (resolves once it listens); it shows a job once given one with `show`. */
export async function startJobUi(options: JobUiOptions = {}): Promise<JobUi> {
  const root = staticRoot();
  let job: WatchedJob | undefined;
  let latest: { job: JobView; dashboard: DashboardView } | undefined;
  const refresh = async () => {
    latest = job === undefined ? { job: startingView(), dashboard: new AggregatesWatch().view() } : await job.update();
    return latest;
  };
  const streams = new Set<http.ServerResponse>();
  const timer = setInterval(() => {
    refresh().then(
      (update) => {
        const event = `event: update\ndata: ${JSON.stringify(update)}\n\n`;
        for (const stream of streams) stream.write(event);
      },
      (error: unknown) => process.stderr.write(`web UI: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  }, UPDATE_MS);
  timer.unref();
  const control = (action: "drain" | "cancel") => {
    if (job === undefined) return { status: 409, body: { error: "no job is running yet" } };
    if (action === "drain") {
      process.stderr.write("\nweb UI: draining — sources stop, open windows fire, sinks flush.\n");
      job.result.drain("drain requested from the web UI");
    } else {
      process.stderr.write("\nweb UI: cancelling — what is in flight is lost (nothing read from it was acknowledged).\n");
      job.result.cancel("cancel requested from the web UI");
    }
    return { status: 202, body: { state: job.result.status().state } };
  };

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const send = (status: number, type: string, body: string | Buffer) => {
      response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      response.end(body);
    };
    const json = (body: unknown, status = 200) => send(status, "application/json; charset=utf-8", JSON.stringify(body));
    const asset = ASSETS[url.pathname];
    if (request.method === "GET" && asset !== undefined) {
      fs.readFile(path.isAbsolute(asset.file) ? asset.file : path.join(root, asset.file), (error, body) =>
        error ? send(500, "text/plain", `cannot read ${asset.file}: ${error.message}`) : send(200, asset.type, body),
      );
    } else if (request.method === "GET" && (url.pathname === "/api/job" || url.pathname === "/api/dashboard")) {
      refresh().then(
        (update) => json(url.pathname === "/api/job" ? update.job : update.dashboard),
        (error: unknown) => json({ error: String(error) }, 500),
      );
    } else if (request.method === "GET" && url.pathname === "/events") {
      response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
      if (latest !== undefined) response.write(`event: update\ndata: ${JSON.stringify(latest)}\n\n`);
      streams.add(response);
      request.on("close", () => streams.delete(response));
    } else if (request.method === "POST" && (url.pathname === "/api/drain" || url.pathname === "/api/cancel")) {
      const outcome = control(url.pathname === "/api/drain" ? "drain" : "cancel");
      json(outcome.body, outcome.status);
    } else {
      send(404, "text/plain", `no ${request.method} ${url.pathname} here`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new PortInUseError(options.port ?? DEFAULT_UI_PORT) : error),
    );
    server.listen(options.port ?? DEFAULT_UI_PORT, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    show: (result, watch = {}) => {
      job?.stop();
      job = new WatchedJob(result, watch);
    },
    close: async () => {
      clearInterval(timer);
      job?.stop();
      for (const stream of streams) stream.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
