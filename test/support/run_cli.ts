/**
 * Runs one of the project's command lines (`pipelines/main.ts`, `cli/jobs.ts`, …)
 * as its own process, without blocking this one — the local endpoints a test starts keep
 * answering while it runs. Bounded: a run still going after `timeoutMs` is killed and fails the test.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PACK_CACHE_VARIABLE } from "../../runners/dataflow/package";
import { removeFolderWhenGone } from "../../emulators/watchdog";

export const ROOT = path.resolve(__dirname, "..", "..");

let packCache: string | undefined;
/**
 * One folder for the whole test run where Dataflow submissions keep the project's tarball: each
 * submission is a process of its own, and packing the same build again cost each of them seconds.
 * Removed when this process exits, or by the emulators' watchdog if it is killed.
 */
function sharedPackCache(): string {
  if (packCache === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beam-ts-native-packs-"));
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    removeFolderWhenGone(dir);
    packCache = dir;
  }
  return packCache;
}

/** How a run ended. */
export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Settings of {@link runCli}. */
export interface RunCliOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** stdout a pipe closed at once, as `head` closes it once it has its lines: nothing is read of it. */
  closeStdout?: boolean;
  /** Called with the output so far whenever stdout grows; may signal the process. */
  onOutput?: (stdout: string, signal: (name: NodeJS.Signals) => void) => void;
}

/**
 * `node -r ./scripts/register.js <script> ...args` in the project root; a Dataflow submission
 * among them packs the project once per test run ({@link PACK_CACHE_VARIABLE}).
 */
export function runCli(script: string, args: string[], options: RunCliOptions = {}): Promise<CliRun> {
  const env = { ...(options.env ?? process.env), [PACK_CACHE_VARIABLE]: sharedPackCache() };
  const child = spawn(process.execPath, ["-r", "./scripts/register.js", script, ...args], { cwd: ROOT, env });
  let stdout = "";
  let stderr = "";
  // Decoded as streams: a character split between two chunks is not garbled.
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  if (options.closeStdout) child.stdout.destroy();
  child.stdout.on("data", (chunk: string) => {
    stdout += chunk;
    options.onOutput?.(stdout, (name) => child.kill(name));
  });
  child.stderr.on("data", (chunk: string) => (stderr += chunk));
  const timeoutMs = options.timeoutMs ?? 240_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} ${args.join(" ")} still running after ${timeoutMs} ms; killed.\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** A command line as a user at the keyboard meets it: no `DEBUG` (no stacks), bounded by a minute; `lines` are stderr's non-empty ones. */
export async function userCommand(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun & { lines: string[] }> {
  const run = await runCli(script, args, { env: { ...env, DEBUG: "" }, timeoutMs: 60_000 });
  return { ...run, lines: run.stderr.split("\n").filter((l) => l !== "") };
}

/**
 * Runs independent command lines side by side, as many at a time as there are cores (start-up is
 * CPU: more would only queue), each resolving to its own {@link CliRun} in the order given.
 */
export async function runClis<T>(runs: ReadonlyArray<() => Promise<T>>, atOnce = os.availableParallelism()): Promise<T[]> {
  const results: T[] = new Array(runs.length);
  let next = 0;
  const lane = async () => {
    while (next < runs.length) {
      const i = next++;
      results[i] = await runs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(atOnce, runs.length)) }, lane));
  return results;
}
