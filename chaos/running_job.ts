/**
 * A probe's view of chaos/job.ts running as a child process: its latest figures, its exit, a drain
 * (SIGINT) or a crash (SIGKILL), and a bound on its life so that no probe leaves it behind.
 */
import { spawn, type ChildProcess } from "child_process";
import * as path from "path";
import { v1 } from "@google-cloud/pubsub";
import { pubsubClientOptions } from "../io/pubsub/client";
import { JOB_DEFAULTS, PIPELINE_NODE_FLAGS, type JobFigures } from "./job";

const ROOT = path.resolve(__dirname, "..");

/** The job process and what it said last. */
export interface RunningJob {
  child: ChildProcess;
  /** The last figures it printed (undefined before the first). */
  latest(): JobFigures | undefined;
  /** Resolves with its exit code and its last line once it has exited. */
  exited: Promise<{ code: number | null; last: (JobFigures & { finished?: string; error?: string }) | undefined; peakRssMb: number }>;
}

/** How the job runs (defaults: chaos/job.ts's {@link JOB_DEFAULTS}, this process's environment). */
export interface JobSettings {
  bundleSize?: number;
  /** The period of its figures, ms. */
  everyMs?: number;
  /** Its environment, e.g. an emulator's address pointing at a proxy in front of it. */
  env?: NodeJS.ProcessEnv;
  /** A checkpoint directory (the runner's `checkpointDir`), kept across restarts by the probe. */
  checkpointDir?: string;
}

/** Starts chaos/job.ts on `subscription`; it is killed after `lifeMs` whatever happens. */
export function startJob(subscription: string, lifeMs: number, settings: JobSettings = {}): RunningJob {
  const { bundleSize = JOB_DEFAULTS.bundleSize, everyMs = JOB_DEFAULTS.everyMs, env = process.env, checkpointDir } = settings;
  const args = ["--enable-source-maps", ...PIPELINE_NODE_FLAGS, "-r", "./scripts/register.js", "chaos/job.ts", subscription, String(bundleSize), String(everyMs), ...(checkpointDir === undefined ? [] : [checkpointDir])];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let latest: (JobFigures & { finished?: string; error?: string }) | undefined;
  let peakRssMb = 0;
  let buffered = "";
  child.stdout!.on("data", (chunk) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      latest = JSON.parse(line) as JobFigures;
      peakRssMb = Math.max(peakRssMb, latest.rssMb);
    }
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const killer = setTimeout(() => child.kill("SIGKILL"), lifeMs);
  const exited = new Promise<{ code: number | null; last: typeof latest; peakRssMb: number }>((resolve) =>
    child.on("exit", (code) => {
      clearTimeout(killer);
      if (code !== 0 && code !== null) process.stderr.write(`chaos job exited ${code}: ${latest?.error ?? ""} ${stderr}\n`);
      resolve({ code, last: latest, peakRssMb });
    }),
  );
  return { child, latest: () => latest, exited };
}

/** Polls `condition` every 250 ms until it holds or `timeoutMs` passes; whether it held. */
export async function waitFor(timeoutMs: number, condition: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return true;
}

/**
 * Messages still in `subscription` (pulled without acknowledging: they come back after their
 * deadline). Counting stops after `boundMs` (default 30 s) — a backlog of hundreds of thousands
 * would come back before it was counted — so a large count is a lower bound.
 */
export async function messagesLeft(project: string, subscription: string, boundMs = 30_000): Promise<number> {
  const client = new v1.SubscriberClient(pubsubClientOptions(project) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
  const deadline = Date.now() + boundMs;
  let left = 0;
  try {
    while (Date.now() < deadline) {
      const [response] = await client
        .pull({ subscription: `projects/${project}/subscriptions/${subscription}`, maxMessages: 1000 }, { timeout: 3_000 })
        .catch(() => [{ receivedMessages: [] }]);
      const n = response.receivedMessages?.length ?? 0;
      if (n === 0) return left;
      left += n;
    }
    return left;
  } finally {
    await client.close();
  }
}
