/**
 * `npm run bench:fn-api-profile [-- --rows N]`: where the Fn API's cost goes. Runs bench:fn-api's
 * workload in process, then with one SDK worker process, each after a one-row job has warmed it (so
 * start-up is left out), with V8's CPU profiler on in the runner and in the worker; prints one JSON
 * line: each job's seconds, then per process the sampled CPU time by where it was spent — element coders (the
 * pipeline's coders and protobufjs), Fn API messages (protobuf-ts), gRPC and HTTP/2, the SDK
 * harness (its operators, receivers, metrics), our runner, the pipeline's own code, GC, other Node
 * internals, and idle (waiting on the other process).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as inspector from "inspector";
import * as os from "os";
import * as path from "path";
import { writeTransactions } from "../fixtures/generate";
import { SdkWorkerPool } from "../runners/direct/execution/fn_api/sdk_worker_pool";
import { runBench, wholeNumberFlag, type Bench, type BenchFlags } from "./command";
import { runWorkload } from "./fn_api_workload";

const ROOT = path.resolve(__dirname, "..");

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a sampled frame's time counts (first match wins). */
const CATEGORIES: [string, (url: string, fn: string) => boolean][] = [
  // Stopping the profiler (serializing the profile) is sampled as the inspector's native dispatch: left out.
  ["profiler", (url, fn) => url === "node:inspector" || (url === "" && fn === "dispatch")],
  ["idle", (_, fn) => fn === "(idle)"],
  ["gc", (_, fn) => fn === "(garbage collector)"],
  ["element_coders", (url) => /apache-beam\/.*\/coders\/|\/protobufjs\//.test(url)],
  ["fn_api_messages", (url) => /@protobuf-ts\/|apache-beam\/.*\/proto\//.test(url)],
  ["grpc_http2", (url) => /@grpc\/|node:internal\/http2|node:net|node:internal\/stream_base_commons/.test(url)],
  ["sdk_harness", (url) => /node_modules\/apache-beam\//.test(url)],
  ["runner", (url) => url.includes(`${ROOT}/runners/`)],
  ["pipeline_code", (url) => url.startsWith(ROOT) && !url.includes("/node_modules/")],
];

/** Milliseconds of samples per category, by each sample's own (self) frame. */
function byCategory(profile: Profile): Record<string, unknown> {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals: Record<string, number> = {};
  const others: Record<string, number> = {};
  profile.samples.forEach((id, i) => {
    const { url, functionName } = nodes.get(id)!.callFrame;
    const name = CATEGORIES.find(([, matches]) => matches(url.replace(/^file:\/\//, ""), functionName))?.[0] ?? (functionName === "(program)" ? "program" : "node_other");
    const ms = profile.timeDeltas[i] / 1000;
    if (name === "profiler") return;
    totals[name] = (totals[name] ?? 0) + ms;
    if (name === "node_other") others[`${functionName || "(anonymous)"} ${url.replace(/^.*\//, "")}`] = (others[`${functionName || "(anonymous)"} ${url.replace(/^.*\//, "")}`] ?? 0) + ms;
  });
  const busy = Object.entries(totals).reduce((sum, [name, ms]) => (name === "idle" ? sum : sum + ms), 0);
  const top = (record: Record<string, number>) => Object.entries(record).sort((a, b) => b[1] - a[1]);
  return {
    busy_ms: Math.round(busy),
    ...Object.fromEntries(top(totals).map(([k, v]) => [`${k}_ms`, Math.round(v)])),
    // The largest of "node_other", so the bucket says what it holds.
    node_other_top: top(others).slice(0, 4).map(([k, v]) => `${k}: ${Math.round(v)} ms`),
  };
}

/** The SDK worker processes that are children of this process. */
function workerPids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("worker_boot");
      } catch {
        return false;
      }
    })
    .map(Number);
}

function post<T>(session: inspector.Session, method: string): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, (error, result) => (error ? reject(error) : resolve(result as T))));
}

const BENCH: Bench = {
  name: "bench:fn-api-profile",
  summary: "Where the Fn API's cost goes: bench:fn-api's workload in process and with one SDK worker process,\nunder V8's CPU profiler; one JSON line on stdout, CPU time by where it was spent (bench/README.md).",
  flags: [{ name: "rows", type: "string", value: "N", default: "50000", help: "rows of the generated CSV (cached in .bench/)" }],
};

async function main(flags: BenchFlags): Promise<void> {
  const rows = wholeNumberFlag(flags, "rows");
  const file = path.join(ROOT, ".bench", `transactions-${rows}.csv`);
  if (!fs.existsSync(file)) await writeTransactions({ rows, seed: 42, format: "csv", out: file });
  const tiny = path.join(ROOT, ".bench", "transactions-1.csv");
  if (!fs.existsSync(tiny)) await writeTransactions({ rows: 1, seed: 42, format: "csv", out: tiny });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fn-api-profile-"));
  process.env.FN_API_PROFILE_DIR = dir;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} -r ${path.join(__dirname, "fn_api_profile_hook.js")}`;
  const pool = new SdkWorkerPool();
  const session = new inspector.Session();
  try {
    // In process first, profiled the same way, so what the worker adds shows beside it.
    session.connect();
    await post(session, "Profiler.enable");
    await runWorkload(tiny, {});
    await post(session, "Profiler.start");
    const inProcess = await runWorkload(file, {});
    const { profile: inProcessProfile } = await post<{ profile: Profile }>(session, "Profiler.stop");

    const options = { environment: "process" as const, workers: 1, sdkWorkerPool: pool };
    await runWorkload(tiny, options);
    const [worker] = workerPids();
    process.kill(worker, "SIGUSR2");
    await post(session, "Profiler.start");
    const { seconds, result } = await runWorkload(file, options);
    const { profile } = await post<{ profile: Profile }>(session, "Profiler.stop");
    process.kill(worker, "SIGUSR2");
    if (JSON.stringify(result) !== JSON.stringify(inProcess.result)) throw new Error(`the worker's result ${JSON.stringify(result)} is not the in-process one ${JSON.stringify(inProcess.result)}`);
    const written = path.join(dir, `worker-${worker}.cpuprofile`);
    for (let waited = 0; !fs.existsSync(written); waited += 100) {
      if (waited > 30_000) throw new Error(`worker ${worker} wrote no profile to ${written} within 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const workerProfile = JSON.parse(fs.readFileSync(written, "utf8")) as Profile;
    const load = execFileSync("uptime", { encoding: "utf8" }).trim();
    const round = (x: number) => Math.round(x * 1000) / 1000;
    process.stdout.write(
      JSON.stringify({
        rows,
        in_process_s: round(inProcess.seconds),
        process_1_worker_warm_s: round(seconds),
        in_process: byCategory(inProcessProfile),
        runner: byCategory(profile),
        worker: byCategory(workerProfile),
        load,
      }) + "\n",
    );
  } finally {
    session.disconnect();
    await pool.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runBench(BENCH, main);
