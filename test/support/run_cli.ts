/**
 * Runs one of the project's command lines (`pipelines/main.ts`, `cli/jobs.ts`, …)
 * as its own process, without blocking this one — the local endpoints a test starts keep
 * answering while it runs. Bounded: a run still going after `timeoutMs` is killed and fails the test.
 */
import { spawn } from "child_process";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");

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
  /** Called with the output so far whenever stdout grows; may signal the process. */
  onOutput?: (stdout: string, signal: (name: NodeJS.Signals) => void) => void;
}

/** `node -r ./scripts/register.js <script> ...args` in the project root. */
export function runCli(script: string, args: string[], options: RunCliOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ["-r", "./scripts/register.js", script, ...args], { cwd: ROOT, env: options.env ?? process.env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    options.onOutput?.(stdout, (name) => child.kill(name));
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
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
