/**
 * SDK workers and the Fn API control plane they are connected to. A job takes workers from a pool
 * and gives the healthy ones back when it ends. By default each job has a pool of its own, stopped
 * with it; a caller that runs many jobs (a test file, a service) may keep one pool across them
 * (`directRunner({ environment: "process", sdkWorkerPool })`), so the seconds a worker takes to
 * start and load the registered modules are paid once, not per job.
 *
 * Jobs sharing a pool stay apart: each job's descriptors and instructions carry its own prefix, and
 * a worker is reused only if it loaded every module registered for serialization now (a job that
 * registered more gets fresh workers). A worker that died, ran a bundle a job abandoned, or belongs
 * to a job that failed is stopped, never reused.
 */
import { getRegisteredModules } from "apache-beam/serialization";
import { ControlPlane } from "./control_plane";
import { ExternalWorkers } from "./external_workers";
import { ProcessWorkers, type FnApiWorker, type WorkerSource } from "./process_workers";

/** Where a pool's workers come from and how long they may take to connect. */
export interface SdkWorkerPoolOptions {
  /** Start them in this BeamFnExternalWorkerPool (environment "external") rather than as processes of ours. */
  workerPool?: string;
  /** A worker that has not connected this long after its start fails what waits for it, with what it printed (default 60 000). */
  workerStartTimeoutMs?: number;
  /** Where the workers' WARN and ERROR log lines go (default: this process's stderr). */
  log?: (line: string) => void;
}

/** SDK workers kept for jobs, with the control plane they connect to. */
export class SdkWorkerPool {
  readonly plane: ControlPlane;
  private readonly source: WorkerSource;
  private readonly idle: FnApiWorker[] = [];
  private readonly listening: Promise<string>;
  private jobs = 0;

  constructor(options: SdkWorkerPoolOptions = {}) {
    const startTimeoutMs = options.workerStartTimeoutMs ?? 60_000;
    this.plane = new ControlPlane(options.log ?? ((line) => process.stderr.write(`${line}\n`)));
    this.source =
      options.workerPool === undefined ? new ProcessWorkers(this.plane, startTimeoutMs) : new ExternalWorkers(this.plane, options.workerPool, startTimeoutMs);
    this.listening = this.plane.start();
    // A failure to listen surfaces at the first job; never as an unhandled rejection.
    this.listening.catch(() => undefined);
  }

  /**
   * Opens a job on the pool; resolves with the prefix of its descriptor and instruction ids and the
   * control plane's address. `stepName` names the job's transforms in its workers' log lines.
   */
  async openJob(stepName: (transformId: string) => string): Promise<{ job: string; url: string }> {
    const url = await this.listening;
    const job = `job${++this.jobs}`;
    this.plane.addJob(job, stepName);
    return { job, url };
  }

  /** Forgets a job's descriptors and step names. */
  closeJob(job: string): void {
    this.plane.removeJob(job);
  }

  /** `count` connected workers: idle ones that loaded every registered module, the rest started now. */
  async take(count: number): Promise<FnApiWorker[]> {
    const registered = getRegisteredModules();
    const taken: FnApiWorker[] = [];
    while (taken.length < count && this.idle.length > 0) {
      const worker = this.idle.pop()!;
      if (worker.connection.isConnected && worker.modules !== undefined && registered.every((m) => worker.modules!.has(m))) taken.push(worker);
      else this.discard(worker);
    }
    const started = await Promise.allSettled(Array.from({ length: count - taken.length }, () => this.start()));
    for (const outcome of started) if (outcome.status === "fulfilled") taken.push(outcome.value);
    const failed = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (failed !== undefined) {
      this.giveBack(taken);
      throw failed.reason;
    }
    return taken;
  }

  /** Starts one fresh worker (a bundle's retry after its worker died). */
  async start(): Promise<FnApiWorker> {
    await this.listening;
    return this.source.start();
  }

  /** Stops a worker that must not run anything again. */
  discard(worker: FnApiWorker): void {
    this.source.stop(worker);
  }

  /** Keeps healthy, idle workers for the next job. */
  giveBack(workers: readonly FnApiWorker[]): void {
    this.idle.push(...workers);
  }

  /** Stops every worker and the control plane. */
  async stop(): Promise<void> {
    this.idle.length = 0;
    await this.listening.catch(() => undefined);
    await this.source.stopAll();
    await this.plane.stop();
  }
}
