/**
 * The worker threads behind the worker-thread executor. A pool of N threads (each running
 * `worker_main.ts`) is kept between jobs of this process while idle for a moment, so that test
 * suites and command lines running job after job do not pay the threads' start-up each time; it is
 * terminated when a job using it failed or was abandoned (no thread keeps running a failed job's
 * work), and when idle. Threads are unreferenced while idle, so an idle pool never keeps the process
 * alive. A thread that dies fails what it was running, naming itself and its exit code.
 */
import * as path from "path";
import { ProjectThread } from "../../../threads/project_thread";
import type { FromWorker, ToWorker } from "./thread_protocol";

type Done = Extract<FromWorker, { kind: "done" }>;

/** How long an idle pool waits for the next job before its threads are stopped. */
const IDLE_MS = 5_000;

// Source runs (through scripts/register.js) compile the worker's TypeScript on load as the main
// thread does; a build runs the emitted JavaScript.
const FROM_SOURCE = __filename.endsWith(".ts");
const WORKER_MAIN = path.join(__dirname, FROM_SOURCE ? "worker_main.ts" : "worker_main.js");
const REGISTER = FROM_SOURCE ? path.join(__dirname, "../../../scripts/register.js") : undefined;

/**
 * The most a worker thread's old generation may hold. V8 lets a heap fill to a multiple of what
 * survived its last full collection before collecting again: 4× for a heap allowed 2 GiB or more
 * (every heap by default on a machine of 16 GB or more), interpolated down to 1.1× at 256 MiB. A
 * batch ETL thread keeps ~20 MB alive and filled ~100 MB between collections; allowed 1 GiB, it
 * collects at ~2.3× (4 workers over 1M rows: 744–754 MB peak for the whole process → 505–522 MB).
 * A thread that needs more fails its job, naming itself. Process-wide V8 flags
 * (`--max-old-space-size`, `--max-semi-space-size`) override every thread's limits.
 */
const WORKER_OLD_GENERATION_MB = 1024;

/**
 * A worker thread's young generation: two 8 MiB semi-spaces and its large-object space (V8's
 * default is twice that). What a part keeps in flight is a few hundred elements, so scavenges
 * promote no more; 4 workers over 1M rows peaked at 472 and 464 MB instead of 510 and 516 MB, for the
 * same CPU seconds (10.2–10.9 vs 10.0–10.3).
 */
const WORKER_YOUNG_GENERATION_MB = 24;

/** The failure of a thread (an uncaught error, an exit), or of its job on it. */
export type ThreadFailure = Error;

type Failed = Extract<FromWorker, { kind: "failed" }>;

const live = new Set<WorkerThread>();

/** How many worker threads of this process are running (for tests: none may outlive a failed job). */
export function runningWorkerThreads(): number {
  return live.size;
}

/** One worker thread (`threads/project_thread.ts`) running `worker_main.ts`: requests by sequence number, every one answered or failed. */
export class WorkerThread {
  private readonly thread: ProjectThread;

  constructor(
    readonly index: number,
    onFailure: (thread: WorkerThread) => void,
  ) {
    this.thread = new ProjectThread({
      name: `worker thread ${index}`,
      main: WORKER_MAIN,
      register: REGISTER,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      onFailure: () => onFailure(this),
      onExit: () => live.delete(this),
      unsolicited: (message) => {
        if ((message as FromWorker).kind !== "opened") return brokenError(index, message as FromWorker);
        this.markReady();
        return undefined;
      },
    });
    live.add(this);
  }

  /** Why this thread can no longer run anything, once it cannot. */
  get failure(): ThreadFailure | undefined {
    return this.thread.failure;
  }

  /** Sends a message that expects no reply. */
  post(message: ToWorker): void {
    this.thread.post(message);
  }

  /** True once the thread has started and rebuilt a job's stages (or opened the stage-less job of {@link startSharedPool}). */
  get started(): boolean {
    return this.answered;
  }

  private answered = false;
  private markReady!: () => void;

  /** Resolves once the thread is {@link started} (never, if it dies first). */
  readonly ready = new Promise<void>((resolve) => (this.markReady = () => {
    this.answered = true;
    resolve();
  }));

  /** Sends a bundle and resolves with the worker's reply; `what` names it in failures. */
  async request(message: Omit<Extract<ToWorker, { kind: "bundle" }>, "seq">, transfer: ArrayBuffer[], what: string, rejectWith: (reply: Failed) => unknown): Promise<Done> {
    const reply = await this.thread.request<typeof message, Done | Failed>(message, transfer, what);
    if (reply.kind === "done") return reply;
    throw rejectWith(reply);
  }

  /** Keeps the process alive while the thread works for a job (true) or not (false). */
  hold(held: boolean): void {
    this.thread.hold(held);
  }

  async terminate(): Promise<void> {
    await this.thread.terminate();
  }
}

/** The error of a worker that could not rebuild the job's stages (the only message that answers no bundle). */
function brokenError(index: number, message: FromWorker): Error | undefined {
  if (message.kind !== "broken") return undefined;
  const error = new Error(`worker thread ${index} could not rebuild the job's stages: ${message.failure.message}`);
  error.stack = `${error.message}\ncaused by ${message.failure.stack ?? message.failure.message}`;
  return error;
}

/** N worker threads, used by one job at a time. */
export class WorkerPool {
  readonly threads: WorkerThread[];
  private idleTimer: NodeJS.Timeout | undefined;
  inUse = false;
  private stopped = false;

  constructor(size: number) {
    this.threads = Array.from({ length: size }, (_, i) => new WorkerThread(i, () => this.threadFailed()));
  }

  get healthy(): boolean {
    return !this.stopped && this.threads.every((t) => t.failure === undefined);
  }

  /** Takes the pool for a job: its threads keep the process alive until it is released. */
  acquire(): void {
    clearTimeout(this.idleTimer);
    this.inUse = true;
    for (const thread of this.threads) thread.hold(true);
  }

  /** Gives the pool back after a job: kept idle for the next one briefly, or stopped if `stop`. */
  async release(stop: boolean): Promise<void> {
    this.inUse = false;
    if (stop || !this.healthy) return this.stop();
    for (const thread of this.threads) thread.hold(false);
    this.idleTimer = setTimeout(() => void this.stop(), IDLE_MS);
    this.idleTimer.unref();
  }

  /** Stops every thread. */
  async stop(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.stopped = true;
    if (shared === this) shared = undefined;
    await Promise.all(this.threads.map((t) => t.terminate()));
  }

  private threadFailed(): void {
    if (shared === this) shared = undefined;
  }
}

let shared: WorkerPool | undefined;

/** A pool of `size` threads for one job: the idle shared one when it fits, otherwise a new one. */
export function acquirePool(size: number): WorkerPool {
  let pool = shared !== undefined && !shared.inUse && shared.healthy && shared.threads.length === size ? shared : undefined;
  if (pool === undefined) {
    pool = new WorkerPool(size);
    // A pool made while another job holds the shared one is that job's own; it is stopped when idle like any.
    if (shared === undefined || !shared.healthy) shared = pool;
    else if (!shared.inUse) {
      void shared.stop();
      shared = pool;
    }
  }
  pool.acquire();
  return pool;
}

/**
 * The shared pool for a job of `size` threads, taken, when it is idle and its threads have started:
 * using it costs no start-up. Undefined otherwise (the job starts a pool once a stage is worth it).
 */
export function startedPool(size: number): WorkerPool | undefined {
  const pool = shared;
  if (pool === undefined || pool.inUse || !pool.healthy || pool.threads.length !== size || !pool.threads.every((thread) => thread.started)) return undefined;
  pool.acquire();
  return pool;
}

/** The job opened on threads only to start them: it has no stages. */
const START_ONLY_JOB = -1;

/**
 * Starts the pool of `size` threads kept for the next job (or takes it, if one is idle) and resolves
 * once its threads have started, so that the next jobs' parts can cross at once — a job starts
 * threads only for a bundle with enough work to pay for their start (`shipping.ts`), which short
 * jobs (tests of what crosses threads) never have. Rejects after `timeoutMs`, its threads stopped.
 */
export async function startSharedPool(size: number, timeoutMs = 30_000): Promise<void> {
  const pool = acquirePool(size);
  for (const thread of pool.threads) {
    thread.post({ kind: "open", job: START_ONLY_JOB, components: new Uint8Array(0), stages: [], mainInputOf: [], modules: [], stallTimeoutMs: timeoutMs, stageCopy: { index: 0, count: 1 } });
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the worker threads did not start within ${timeoutMs} ms`)), timeoutMs);
  });
  let started = false;
  try {
    await Promise.race([Promise.all(pool.threads.map((thread) => thread.ready)), timeout]);
    started = true;
  } finally {
    clearTimeout(timer);
    for (const thread of pool.threads) thread.post({ kind: "close", job: START_ONLY_JOB });
    await pool.release(!started);
  }
}
