/**
 * Ctrl-C for a command line running a streaming job: the first SIGINT/SIGTERM drains the job
 * (sources stop, open windows fire, sinks flush), the second cancels it at once, saying what is lost.
 * The handlers are removed once the job has finished. A batch job stops, saying so (`stopOnSignals`).
 */
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import type { PValue, Root } from "apache-beam/pvalue";
import type { DirectPipelineResult, DirectRunner } from "../runners/direct";
import { log } from "./log";
import { stopAllThreads } from "../threads/project_thread";
import { creationsSettled } from "../io/files/removed_at_exit";

/** Installs the handlers for `job`; returns what removes them (also done when the job finishes). */
export function drainOnSignals(job: DirectPipelineResult): () => void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log().info({ step: "drain", signal }, `${signal}: draining — sources stop, open windows fire, sinks flush. Press Ctrl-C again to cancel.`);
      job.drain(`${signal} received`);
    } else {
      const pending = job.progress().stages.reduce((n, s) => n + s.pending, 0);
      log().warn({ step: "cancel", signal, pending }, `${signal} again: cancelling. Lost: ${pending} pending elements and open windows (nothing read from them was acknowledged).`);
      job.cancel(`${signal} received twice`);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const release = () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  void job.waitUntilFinish().then(release, release);
  return release;
}

/** The longest an interrupted batch waits for its worker threads to stop, then for its file creations to settle, before it exits. */
const STOP_THREADS_MS = 2_000;

/**
 * Ctrl-C for a job with nothing to drain (a batch over files): the first SIGINT/SIGTERM runs
 * `interrupted`, prints the line it returns, stops the worker threads and exits 130 — not a silent death. Returns what
 * removes the handlers.
 */
export function stopOnSignals(interrupted: (signal: NodeJS.Signals) => string): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${interrupted(signal)}\n`);
    // A file still being created (by a worker thread, or in flight for this one) would land after the
    // exit's clean-up removed its temp folder: threads stop, creations settle, and nothing runs between that and the exit.
    void stopAllThreads(STOP_THREADS_MS)
      .then(() => creationsSettled(STOP_THREADS_MS))
      .finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}

/**
 * Runs `pipeline` on `runner` with Ctrl-C draining it (see the module doc); rejects unless it ends DONE.
 * `onStarted` is handed the job as soon as it runs (a web page that shows it).
 */
export async function runDrainingOnSignals(
  runner: DirectRunner,
  pipeline: (root: Root) => PValue<any> | Promise<PValue<any>>,
  onStarted?: (job: DirectPipelineResult) => void,
): Promise<DirectPipelineResult> {
  const job = await runner.runAsync(pipeline);
  drainOnSignals(job);
  onStarted?.(job);
  const state = await job.waitUntilFinish();
  if (state !== JobState_Enum.DONE) throw job.error() ?? new Error(`job finished in state ${JobState_Enum[state]}`);
  return job;
}
