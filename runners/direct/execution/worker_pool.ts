/**
 * The worker threads behind the worker-thread executor. A pool of N threads (each running
 * `worker_main.ts`) is kept between jobs of this process while idle for a moment, so that test
 * suites and command lines running job after job do not pay the threads' start-up each time; it is
 * terminated when a job using it failed or was abandoned (no thread keeps running a failed job's
 * work), and when idle. Threads are unreferenced while idle, so an idle pool never keeps the process
 * alive. A thread that dies fails what it was running, naming itself and its exit code.
 */
import * as path from "path";
import { SHARE_ENV, Worker } from "worker_threads";
import type { FromWorker, ToWorker } from "./thread_protocol";

type Done = Extract<FromWorker, { kind: "done" }>;

/** How long an idle pool waits for the next job before its threads are stopped. */
const IDLE_MS = 5_000;

// Source runs (through scripts/register.js) compile the worker's TypeScript on load as the main
// thread does; a build runs the emitted JavaScript.
const FROM_SOURCE = __filename.endsWith(".ts");
const WORKER_MAIN = path.join(__dirname, FROM_SOURCE ? "worker_main.ts" : "worker_main.js");
const REGISTER = FROM_SOURCE ? path.join(__dirname, "../../../scripts/register.js") : undefined;
const BOOTSTRAP = `
const { workerData } = require("worker_threads");
if (workerData.register !== undefined) require(workerData.register);
require(workerData.main);
`;

/** The failure of a thread (an uncaught error, an exit), or of its job on it. */
export type ThreadFailure = Error;

type Failed = Extract<FromWorker, { kind: "failed" }>;

/** A bundle sent and not yet answered. */
interface Pending {
  resolve: (reply: Done) => void;
  reject: (error: unknown) => void;
  /** Names the bundle in a thread failure. */
  what: string;
  /** The error a failed reply rejects with. */
  rejectWith: (reply: Failed) => unknown;
}

const live = new Set<WorkerThread>();

/** How many worker threads of this process are running (for tests: none may outlive a failed job). */
export function runningWorkerThreads(): number {
  return live.size;
}

/** One worker thread: requests by sequence number, every one answered or failed. */
export class WorkerThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextSeq = 0;
  /** Why this thread can no longer run anything, once it cannot. */
  failure: ThreadFailure | undefined;

  constructor(
    readonly index: number,
    private readonly onFailure: (thread: WorkerThread) => void,
  ) {
    this.worker = new Worker(BOOTSTRAP, { eval: true, env: SHARE_ENV, workerData: { main: WORKER_MAIN, register: REGISTER } });
    this.worker.on("message", (message: FromWorker) => this.receive(message));
    this.worker.on("error", (error) => this.fail(new Error(`worker thread ${index} failed: ${error.message}`, { cause: error })));
    live.add(this);
    this.worker.on("exit", (code) => {
      live.delete(this);
      this.fail(new Error(`worker thread ${index} exited (code ${code})${this.runningWhat()}`));
    });
  }

  /** Sends a message that expects no reply. */
  post(message: ToWorker): void {
    if (this.failure === undefined) this.worker.postMessage(message);
  }

  /** Sends a bundle and resolves with the worker's reply; `what` names it in failures. */
  request(message: Omit<Extract<ToWorker, { kind: "bundle" }>, "seq">, transfer: ArrayBuffer[], what: string, rejectWith: (reply: Failed) => unknown): Promise<Done> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const seq = this.nextSeq++;
    return new Promise<Done>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, what, rejectWith });
      this.worker.postMessage({ ...message, seq }, transfer);
    });
  }

  /** Keeps the process alive while the thread works for a job (true) or not (false). */
  hold(held: boolean): void {
    if (held) this.worker.ref();
    else this.worker.unref();
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error(`worker thread ${this.index} was stopped`);
    await this.worker.terminate();
  }

  private receive(message: FromWorker): void {
    if (message.kind === "broken") {
      const error = new Error(`worker thread ${this.index} could not rebuild the job's stages: ${message.failure.message}`);
      error.stack = `${error.message}\ncaused by ${message.failure.stack ?? message.failure.message}`;
      this.fail(error);
      return;
    }
    const entry = this.pending.get(message.seq);
    this.pending.delete(message.seq);
    if (entry === undefined) return;
    if (message.kind === "done") entry.resolve(message);
    else entry.reject(entry.rejectWith(message));
  }

  private runningWhat(): string {
    const running = [...this.pending.values()].map((p) => p.what);
    return running.length === 0 ? "" : ` while running ${running.join(", ")}`;
  }

  private fail(error: ThreadFailure): void {
    if (this.failure === undefined) {
      this.failure = error;
      this.onFailure(this);
    }
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
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
