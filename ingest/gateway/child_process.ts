/**
 * The gateway as a separate process (`npm run gateway`'s entry point), for the load test and the
 * tests of its shutdown: started on a free port, its address read from its "gateway listening" log
 * line, stopped with a signal; killed if its owner exits first.
 */
import { spawn, type ChildProcess } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const START_TIMEOUT_MS = 30_000;

/** A gateway process that is listening. */
export interface GatewayProcess {
  address: string;
  child: ChildProcess;
  /** Every log line it wrote so far, parsed. */
  logs: Record<string, unknown>[];
  /** Sends `signal` (default SIGTERM) and resolves with the exit code; SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** Starts `npm run gateway -- --port 0 …args` with `env` added to this process's environment. */
export async function spawnGateway(args: string[], env: Record<string, string> = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ["--enable-source-maps", "-r", "./scripts/register.js", "ingest/gateway/main.ts", "--port", "0", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "pipe"],
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  void exited.then(() => process.off("exit", killOnExit));
  const logs: Record<string, unknown>[] = [];
  let pending = "";
  const address = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not listen within ${START_TIMEOUT_MS} ms; its log: ${JSON.stringify(logs)}`)), START_TIMEOUT_MS);
    child.stderr!.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line);
        } catch {
          entry = { level: "raw", msg: line };
        }
        logs.push(entry);
        if (entry.msg === "gateway listening") {
          clearTimeout(timer);
          resolve(entry.address as string);
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code} before listening; its log: ${JSON.stringify(logs)}`));
    });
  });
  try {
    return {
      address: await address,
      child,
      logs,
      stop: async (signal = "SIGTERM", timeoutMs = 60_000) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      },
    };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}
