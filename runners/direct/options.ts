import { availableParallelism } from "os";
import type { SdkWorkerPool } from "./execution/fn_api/sdk_worker_pool";

/** Settings of the direct runner, with their defaults. */
export interface DirectRunnerOptions {
  /**
   * Maximum elements per bundle (default 1000). Larger bundles amortize per-bundle work
   * (startBundle/finishBundle, sink flushes); smaller ones bound memory and latency.
   */
  bundleSize?: number;
  /**
   * Check that the pipeline survives what a remote runner does to it (default false): the pipeline
   * proto is round-tripped through its binary encoding, and every module registered for
   * serialization must be loadable by name, as Dataflow's worker will load it.
   */
  verifySerialization?: boolean;
  /**
   * A bundle waiting on a step (a sink, a source) that moves no element for this long fails the job,
   * naming the step (default 120 000 ms). Slow but moving work is never cut short.
   */
  stallTimeoutMs?: number;
  /**
   * Drain the job (sources stop, every window fires, sinks flush, then it ends) once any of these
   * is reached: elements read from sources, milliseconds with the input known to be empty (a live
   * source whose reads answer "nothing"; stalled or failing reads never count as idle: see
   * StreamSource.idleSince), milliseconds since the start. Unset: run until the sources finish (or forever, for live ones).
   */
  stopAfter?: { records?: number; idleMs?: number; durationMs?: number };
  /**
   * Where bundles run (default "in_process": the SDK's operators in this thread). "process": in SDK
   * worker processes (the SDK's own harness, as on Dataflow) over Beam's Fn API, every element
   * encoded with the pipeline's coders at the stage boundaries.
   */
  environment?: "in_process" | "process" | "external";
  /** With environment "external": the address of the BeamFnExternalWorkerPool to start workers in. */
  workerPool?: string;
  /**
   * How many workers run the fused stages (default: the machine's cores, `os.availableParallelism()`).
   * In process, 1 runs every stage on the job's own thread; N > 1 cuts each bundle into parts run by
   * the job's thread and N − 1 worker threads (see execution/worker_threads.ts), each rebuilding the
   * stages from the pipeline proto. With environment "process" or "external": how many SDK workers.
   */
  workers?: number;
  /** With environment "process": how long a worker may take to connect before the job fails (default 60 000 ms). */
  workerStartTimeoutMs?: number;
  /**
   * With environment "process": take the `workers` from this pool of SDK worker processes, kept by
   * its owner across jobs (who stops it), instead of starting and stopping the job's own; the pool's
   * own workerStartTimeoutMs applies. For many short jobs (a test file): workers start once.
   */
  sdkWorkerPool?: SdkWorkerPool;
  /**
   * A directory of the job's own where the state of its accumulating windows is checkpointed (default:
   * none). With it, a message read from a live source is acknowledged once what it added to such a
   * window is in a checkpoint, instead of once the window expires (minutes later, with allowed
   * lateness); a job started again with the same directory — after a crash — resumes from it.
   */
  checkpointDir?: string;
}

/** Options with every default filled in. */
export type ResolvedDirectRunnerOptions = Required<Omit<DirectRunnerOptions, "stopAfter" | "workerPool" | "sdkWorkerPool" | "checkpointDir">> &
  Pick<DirectRunnerOptions, "stopAfter" | "workerPool" | "sdkWorkerPool" | "checkpointDir">;

/** Fills in defaults and rejects nonsense early, naming the option. */
export function resolveOptions(options: DirectRunnerOptions = {}): ResolvedDirectRunnerOptions {
  const resolved = {
    bundleSize: 1000,
    verifySerialization: false,
    stallTimeoutMs: 120_000,
    environment: "in_process" as DirectRunnerOptions["environment"] & string,
    workers: availableParallelism(),
    workerStartTimeoutMs: 60_000,
    // An option given as undefined (a flag left out) keeps its default.
    ...(Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as DirectRunnerOptions),
  };
  if (!["in_process", "process", "external"].includes(resolved.environment)) {
    throw new Error(`directRunner option environment must be "in_process", "process" or "external", got ${String(options.environment)}`);
  }
  if (resolved.environment === "external" && !resolved.workerPool) {
    throw new Error(`directRunner option workerPool is required with environment "external"`);
  }
  if (!Number.isInteger(resolved.workers) || resolved.workers < 1) {
    throw new Error(`directRunner option workers must be a positive integer, got ${options.workers}`);
  }
  if (!(resolved.workerStartTimeoutMs > 0)) {
    throw new Error(`directRunner option workerStartTimeoutMs must be positive, got ${options.workerStartTimeoutMs}`);
  }
  if (!Number.isInteger(resolved.bundleSize) || resolved.bundleSize < 1) {
    throw new Error(`directRunner option bundleSize must be a positive integer, got ${options.bundleSize}`);
  }
  if (!(resolved.stallTimeoutMs > 0)) {
    throw new Error(`directRunner option stallTimeoutMs must be positive, got ${options.stallTimeoutMs}`);
  }
  for (const [name, value] of Object.entries(resolved.stopAfter ?? {})) {
    if (value !== undefined && !(value >= 0)) throw new Error(`directRunner option stopAfter.${name} must be at least 0, got ${value}`);
  }
  return resolved;
}

/** Why the job should drain now, given what it has done, or undefined (the reason names the option, not a flag). */
export function stopReason(
  stopAfter: DirectRunnerOptions["stopAfter"],
  progress: { sourceElements: number; inputIdleSince: number | undefined },
  startedAt: number,
  now: number,
): string | undefined {
  if (stopAfter === undefined) return undefined;
  if (stopAfter.records !== undefined && progress.sourceElements >= stopAfter.records) {
    return `read ${progress.sourceElements} records (stopAfter.records ${stopAfter.records})`;
  }
  if (stopAfter.durationMs !== undefined && now - startedAt >= stopAfter.durationMs) {
    return `ran ${now - startedAt} ms (stopAfter.durationMs ${stopAfter.durationMs})`;
  }
  // Idle means the input is known to be empty, not that reading stalled (see StreamSource.idleSince).
  if (stopAfter.idleMs !== undefined && progress.inputIdleSince !== undefined) {
    const idleSince = Math.max(startedAt, progress.inputIdleSince);
    if (now - idleSince >= stopAfter.idleMs) return `no input for ${now - idleSince} ms (stopAfter.idleMs ${stopAfter.idleMs})`;
  }
  return undefined;
}
