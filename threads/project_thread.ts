/**
 * One worker thread running a module of this project, spoken to by request and reply: the one
 * implementation under both of the project's thread pools (the runner's, `runners/direct/execution/
 * worker_pool.ts`, and the task pool of `pool.ts`).
 *
 * Every request carries a sequence number and is answered or failed: when the thread dies (an
 * uncaught error, an exit, a termination), every request still pending fails with an error naming
 * the thread and what it was running, and so does every later one. TypeScript modules load in the
 * thread as in the main thread: compiled on load (`scripts/register.js`), or, cheaper, from
 * JavaScript compiled beforehand (`scripts/compiled_hook.js`: the thread never loads the compiler).
 * A thread starts knowing where this one found its modules, and looks up only those it did not.
 */
import Module = require("module");
import * as path from "path";
import { SHARE_ENV, Worker, type ResourceLimits } from "worker_threads";

/** Settings of a {@link ProjectThread}. */
export interface ProjectThreadOptions {
  /** Names the thread in its failures ("worker thread 2"). */
  name: string;
  /** The module the thread runs: a `.ts` file from sources, `.js` from `dist/`. */
  main: string;
  /** A require hook loaded before `main` (`scripts/register.js`, to compile TypeScript on load). */
  register?: string;
  /** JavaScript compiled beforehand, by file name: the thread runs it instead of compiling (see `scripts/compiled_hook.js`). */
  compiled?: Record<string, string>;
  /** The thread's Node flags (default: the main thread's). */
  execArgv?: string[];
  /** Limits of the thread's JavaScript heap (default: V8's). */
  resourceLimits?: ResourceLimits;
  /** Called once, when the thread can no longer run anything ({@link ProjectThread.failure} says why). */
  onFailure?: () => void;
  /** Called when the thread has exited. */
  onExit?: () => void;
  /** A message from the thread that answers no request: the error that ends the thread, or undefined to ignore it. */
  unsolicited?: (message: unknown) => Error | undefined;
}

/** A message that answers the request of the same `seq`. */
export interface Reply {
  seq: number;
}

interface Pending {
  resolve: (reply: never) => void;
  reject: (error: unknown) => void;
  /** Names the request in a thread failure. */
  what: string;
}

const COMPILED_HOOK = path.join(__dirname, "..", "scripts", "compiled_hook.js");
const BOOTSTRAP = `
const { workerData } = require("worker_threads");
Object.assign(require("module")._pathCache, workerData.resolved);
if (workerData.compiled !== undefined) require(workerData.compiledHook).installCompiledHook(workerData.compiled);
else if (workerData.register !== undefined) require(workerData.register);
require(workerData.main);
`;

/**
 * Where this thread's `require` found each module it asked for (Node's own cache of resolutions:
 * request and lookup paths → file). A new thread starts with it, so that it does not search the
 * file system again — package.json files, `exports` maps, stats and real paths: ~20 of the ~200
 * CPU ms a runner thread took to load its modules — for modules this thread already found.
 */
function resolvedModules(): Record<string, string> {
  return { ...((Module as unknown as { _pathCache?: Record<string, string> })._pathCache ?? {}) };
}

/** Every thread started and not yet exited. */
const running = new Set<ProjectThread>();
/** Set by {@link stopAllThreads}: the process is about to exit, and no thread starts any more. */
let exiting = false;

/**
 * Ends every thread still running, waiting for them at most `timeoutMs`. A command about to exit
 * calls it first: what a thread is still doing (a file sink creating a temp file) would otherwise
 * land after the process's exit handlers cleaned up (io/files/removed_at_exit.ts).
 */
export async function stopAllThreads(timeoutMs: number): Promise<void> {
  // The job goes on while this waits: a pool starting a thread now would escape the termination.
  exiting = true;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs).unref()));
  await Promise.race([Promise.all([...running].map((thread) => thread.terminate().catch(() => undefined))), timedOut]);
  clearTimeout(timer);
}

/** A worker thread: requests by sequence number, every one answered or failed. */
export class ProjectThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextSeq = 0;
  private failed: Error | undefined;
  /** Set by {@link terminate}: the exit that follows is ours, whatever code it reports. */
  private stopping = false;

  constructor(private readonly options: ProjectThreadOptions) {
    const { main, register, compiled, execArgv, resourceLimits } = options;
    if (exiting) throw new Error(`${options.name} not started: the process is exiting`);
    this.worker = new Worker(BOOTSTRAP, { eval: true, env: SHARE_ENV, execArgv, resourceLimits, workerData: { main, register, compiled, compiledHook: COMPILED_HOOK, resolved: resolvedModules() } });
    this.worker.on("message", (message: unknown) => this.receive(message));
    this.worker.on("error", (error) => this.fail(new Error(`${options.name} failed: ${error.message}`, { cause: error })));
    running.add(this);
    this.worker.on("exit", (code) => {
      running.delete(this);
      options.onExit?.();
      // A thread terminated before its environment is up reports code 0, after it code 1: neither says more than "we stopped it".
      const how = this.stopping ? "was stopped" : `exited (code ${code})`;
      this.fail(new Error(`${options.name} ${how}${this.runningWhat()}`));
    });
  }

  /** Why this thread can no longer run anything, once it cannot. */
  get failure(): Error | undefined {
    return this.failed;
  }

  /** Sends a message that expects no reply. */
  post(message: unknown, transfer: ArrayBuffer[] = []): void {
    if (this.failed === undefined) this.worker.postMessage(message, transfer);
  }

  /**
   * Sends `message` with a new `seq` (its `transfer` buffers moved, not copied) and resolves with
   * the thread's reply of that `seq`; `what` names the request if the thread fails first.
   */
  request<M extends object, R extends Reply>(message: M, transfer: ArrayBuffer[], what: string): Promise<R> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const seq = this.nextSeq++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(seq, { resolve: resolve as (reply: never) => void, reject, what });
      this.worker.postMessage({ ...message, seq }, transfer);
    });
  }

  /** Keeps the process alive while the thread works (true) or not (false). */
  hold(held: boolean): void {
    if (held) this.worker.ref();
    else this.worker.unref();
  }

  /** Ends the thread; what it was running fails. */
  async terminate(): Promise<void> {
    this.stopping = true;
    this.failed ??= new Error(`${this.options.name} was stopped`);
    await this.worker.terminate();
  }

  private receive(message: unknown): void {
    const seq = (message as Partial<Reply>).seq;
    if (typeof seq !== "number") {
      const error = this.options.unsolicited?.(message);
      if (error !== undefined) this.fail(error);
      return;
    }
    const entry = this.pending.get(seq);
    this.pending.delete(seq);
    entry?.resolve(message as never);
  }

  private runningWhat(): string {
    const running = [...this.pending.values()].map((p) => p.what);
    return running.length === 0 ? "" : ` while running ${running.join(", ")}`;
  }

  private fail(error: Error): void {
    if (this.failed === undefined) {
      this.failed = error;
      this.options.onFailure?.();
    }
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}
