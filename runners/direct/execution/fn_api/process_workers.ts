/**
 * `environment: "process"`: SDK worker processes started and stopped by the runner, each connecting
 * back to the job's control plane as a container's worker would. A worker that does not connect
 * within a bound fails with what it printed; every worker is stopped when the job ends, on the
 * runner's exit, and (through worker_boot.ts's watchdog) when the runner dies.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { getRegisteredModules } from "apache-beam/serialization";
import type { ControlPlane, WorkerConnection } from "./control_plane";

/** How many of a worker's last printed lines are kept for errors. */
const KEPT_OUTPUT_LINES = 30;
const BOOT = path.join(__dirname, `worker_boot${path.extname(__filename)}`);
/** Running from source, the child compiles TypeScript as we do (scripts/register.js). */
const EXEC_ARGV = path.extname(__filename) === ".ts" ? ["-r", path.resolve(__dirname, "../../../../scripts/register.js")] : [];

/** One SDK worker and its connection. */
export interface FnApiWorker {
  id: string;
  connection: WorkerConnection;
  /** The last lines it printed on stdout and stderr (when we can see them). */
  printed: string[];
  /** Resolves with how it ended ("code 1", "signal SIGKILL") once it has. */
  exited: Promise<string>;
  /** The modules registered for serialization it loaded at its start (unknown for a pool's worker). */
  modules?: ReadonlySet<string>;
}

/** Where a job's workers come from: processes of ours, or a pool someone else runs. */
export interface WorkerSource {
  /** Starts a worker; resolves once it has connected, rejects if it does not in time. */
  start(): Promise<FnApiWorker>;
  stop(worker: FnApiWorker): void;
  stopAll(): Promise<void>;
}

/** One SDK worker process. */
interface ProcessWorker extends FnApiWorker {
  process: ChildProcess;
}

/** Starts and stops the worker processes of one job. */
export class ProcessWorkers implements WorkerSource {
  private readonly running = new Set<ProcessWorker>();
  private started = 0;
  private readonly killAll = () => {
    for (const worker of this.running) worker.process.kill("SIGKILL");
  };

  constructor(
    private readonly plane: ControlPlane,
    private readonly startTimeoutMs: number,
  ) {
    process.on("exit", this.killAll);
  }

  /** Starts a worker; resolves once it has connected, rejects if it exits or does not connect in time. */
  async start(): Promise<ProcessWorker> {
    const id = `worker-${++this.started}`;
    const modules = getRegisteredModules();
    const options = JSON.stringify({ "beam:option:registered_node_modules:v1": modules });
    const child = spawn(
      process.execPath,
      [...EXEC_ARGV, BOOT, `--id=${id}`, `--control_endpoint=${this.plane.endpoint}`, `--logging_endpoint=${this.plane.endpoint}`, `--options=${options}`],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    const printed: string[] = [];
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() === "") continue;
        printed.push(line);
        if (printed.length > KEPT_OUTPUT_LINES) printed.shift();
      }
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const exited = new Promise<string>((resolve) => {
      child.on("exit", (code, signal) => resolve(signal !== null ? `signal ${signal}` : `code ${code}`));
      child.on("error", (error) => resolve(`error ${error.message}`));
    });
    const partial: Omit<ProcessWorker, "connection"> = { id, printed, exited, process: child, modules: new Set(modules) };
    this.running.add(partial as ProcessWorker);
    let timer: NodeJS.Timeout | undefined;
    try {
      const connection = await Promise.race([
        this.plane.connected(id),
        exited.then((how) => Promise.reject(new Error(`SDK worker ${id} exited (${how}) before connecting; it printed:\n${tail(printed)}`))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`SDK worker ${id} did not connect within ${this.startTimeoutMs} ms; it printed:\n${tail(printed)}`)),
            this.startTimeoutMs,
          );
        }),
      ]);
      const worker: ProcessWorker = Object.assign(partial, { connection });
      void exited.then((how) => connection.disconnected(new Error(`SDK worker ${id} exited (${how})`)));
      return worker;
    } catch (error) {
      // Fail only once it is gone (SIGKILL: promptly), so no worker outlives the failure it caused.
      this.stop(partial as ProcessWorker);
      await exited;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops one worker (its connection first, then the process). */
  stop(worker: FnApiWorker): void {
    if (!this.running.has(worker as ProcessWorker)) return;
    this.running.delete(worker as ProcessWorker);
    this.plane.forget(worker.id);
    (worker as ProcessWorker).process.stdin?.destroy();
    (worker as ProcessWorker).process.kill("SIGKILL");
  }

  /** Stops every worker; resolves once each process has exited. */
  async stopAll(): Promise<void> {
    const workers = [...this.running];
    for (const worker of workers) this.stop(worker);
    process.off("exit", this.killAll);
    await Promise.all(workers.map((w) => w.exited));
  }
}

/** The last lines, indented, or a note that there were none. */
export function tail(lines: readonly string[]): string {
  return lines.length === 0 ? "  (nothing)" : lines.map((l) => `  ${l}`).join("\n");
}
