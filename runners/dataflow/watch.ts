/**
 * Watching a submitted job: its state changes and job messages as they come, until a terminal
 * state. DONE, DRAINED and UPDATED are success; FAILED and CANCELLED are not. Stopping the watch
 * (Ctrl-C) leaves the job running on Dataflow, and says so and how to stop it.
 */
import type { DataflowApi, JobMessage } from "./api";

/** Terminal states, and whether each is a success. */
export const TERMINAL_STATES = new Map([
  ["JOB_STATE_DONE", true],
  ["JOB_STATE_DRAINED", true],
  ["JOB_STATE_UPDATED", true],
  ["JOB_STATE_FAILED", false],
  ["JOB_STATE_CANCELLED", false],
]);

/** How a watch ended. */
export type WatchEnd = { state: string; succeeded: boolean } | { state: "WATCH_STOPPED"; succeeded: false };

/** Settings of {@link watchJob}. */
export interface WatchOptions {
  say: (line: string) => void;
  /** The longest pause between polls (default 10 s); the first polls come sooner, as Beam's portable runner does. */
  pollMs?: number;
  /** Aborting stops watching (the job goes on). */
  signal?: AbortSignal;
}

/** Polls the job and prints what changes, until it ends or the watch is stopped. */
export async function watchJob(api: DataflowApi, jobId: string, options: WatchOptions): Promise<WatchEnd> {
  const maxPollMs = options.pollMs ?? 10_000;
  let pollMs = Math.min(100, maxPollMs);
  let lastState = "";
  let lastMessageTime: string | undefined;
  const seen = new Set<string>();
  while (!options.signal?.aborted) {
    const job = await api.getJob(jobId);
    const fresh = (await api.messages(jobId, lastMessageTime)).filter((m) => !seen.has(m.id));
    for (const message of fresh) {
      seen.add(message.id);
      options.say(formatMessage(message));
      lastMessageTime = message.time;
    }
    const state = job.currentState ?? "JOB_STATE_UNKNOWN";
    if (state !== lastState) {
      options.say(`${new Date().toISOString()} state ${state}`);
      lastState = state;
    }
    const succeeded = TERMINAL_STATES.get(state);
    if (succeeded !== undefined) return { state, succeeded };
    await sleep(pollMs, options.signal);
    pollMs = Math.min(maxPollMs, pollMs * 1.5);
  }
  return { state: "WATCH_STOPPED", succeeded: false };
}

/** What to tell a user who stops watching. */
export function stillRunningNotice(api: DataflowApi, jobId: string): string {
  const where = `--project ${api.target.project} --region ${api.target.region}`;
  return [
    `Stopped watching. Job ${jobId} goes on running on Dataflow: ${api.consoleUrl(jobId)}`,
    `  stop it:   npm run jobs -- cancel ${jobId} ${where}`,
    `  drain it:  npm run jobs -- drain ${jobId} ${where}   (streaming: finish what was read, then stop)`,
  ].join("\n");
}

function formatMessage(m: JobMessage): string {
  const importance = (m.messageImportance ?? "").replace("JOB_MESSAGE_", "");
  return `${m.time} ${importance.padEnd(8)} ${m.messageText}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
