/**
 * A pool of worker threads that run exported functions of modules of this project, one task per
 * thread at a time, in the order asked: the data generator's (`ingest/generator/`), and any other
 * part that wants every core for independent tasks. Its threads are the same `ProjectThread`s as
 * the runner's (`runners/direct/execution/worker_pool.ts`); the runner keeps a pool of its own
 * because its jobs are pinned to threads (each thread holds a job's stages between bundles), where
 * these tasks go to whichever thread is free.
 *
 * Running from sources, the task modules and every project module they require are compiled once,
 * in a short-lived thread (`scripts/compiled_hook.js`, the closure transform), and the JavaScript is
 * handed to the threads: threads do not load the TypeScript compiler (about 50–60 MB and 1–5 s of
 * start-up saved per thread), and neither does the main thread for them.
 */
import * as os from "os";
import * as path from "path";
import type { ResourceLimits } from "worker_threads";
import { ProjectThread } from "./project_thread";
import type { TaskReply, TaskRequest } from "./task_protocol";

/**
 * The path of a task module given `require.resolve`-able `id` relative to `from` (`__dirname` of
 * the caller): the `.ts` source when running from sources, the `.js` file when running from `dist/`.
 * Written `taskModule(__dirname, "file")`, the call names the module for `scripts/compile_graph.js`
 * too, which then compiles it with the program that names it.
 */
export function taskModule(from: string, id: string): string {
  return require.resolve(path.join(from, id));
}

const TASK_MAIN = taskModule(__dirname, "task_main");

/** Settings of {@link startThreadPool}. */
export interface ThreadPoolOptions {
  /** Threads to run (default: one per core). */
  threads?: number;
  /**
   * The task modules the threads will run (see {@link taskModule}). When they are TypeScript, they
   * and what they import are compiled once, and the threads run that JavaScript without loading the
   * compiler; other modules are compiled by the thread that needs them.
   */
  modules?: readonly string[];
  /** Limits of each thread's JavaScript heap (default: V8's). */
  resourceLimits?: ResourceLimits;
}

/** A running pool. */
export interface ThreadPool {
  /** How many threads it runs. */
  readonly threads: number;
  /**
   * Runs `task` on the next free thread: calls the export `name` of `module` with it
   * (structured-cloned) and resolves with what that function returned, or rejects with what it
   * threw. The module must be a path (see {@link taskModule}). Tasks wait in order for a thread.
   */
  run<T, R>(module: string, name: string, task: T): Promise<R>;
  /** Waits for the tasks asked for, then ends every thread. */
  close(): Promise<void>;
  /** Ends every thread now; running and waiting tasks fail. */
  destroy(): Promise<void>;
}

const FROM_SOURCES = __filename.endsWith(".ts");

/**
 * Starts a pool; close it (or destroy it) on every path. A thread that dies (an uncaught error, an
 * exit) fails its task with an error naming it, and the pool with it: the other threads are
 * stopped, and waiting and later tasks fail with the same error. Idle threads do not keep the
 * process alive.
 */
export function startThreadPool(options: ThreadPoolOptions = {}): ThreadPool {
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) throw new Error(`threads: ${options.threads} is not a whole number of at least 1`);
  return new TaskPool(options.threads ?? os.availableParallelism(), options.modules ?? [], options.resourceLimits);
}

/** A task waiting for a thread. */
interface Waiting {
  request: Omit<TaskRequest, "seq">;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

class TaskPool implements ThreadPool {
  private members: ProjectThread[] = [];
  private readonly idle: ProjectThread[] = [];
  private readonly waiting: Waiting[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private readonly started: Promise<void>;
  private failure: Error | undefined;

  constructor(
    readonly threads: number,
    modules: readonly string[],
    resourceLimits: ResourceLimits | undefined,
  ) {
    const compiled: Promise<Record<string, string> | undefined> = FROM_SOURCES ? compiledModules([TASK_MAIN, ...modules.filter((module) => module.endsWith(".ts"))]) : Promise.resolve(undefined);
    this.started = compiled.then(
      (code) => {
        if (this.failure !== undefined) return;
        this.members = Array.from({ length: threads }, (_, i) => {
          const thread: ProjectThread = new ProjectThread({
            name: `pool thread ${i}`,
            main: TASK_MAIN,
            compiled: code,
            execArgv: threadExecArgv(),
            resourceLimits,
            onFailure: () => this.fail(thread.failure!),
          });
          thread.hold(false);
          return thread;
        });
        this.idle.push(...this.members);
        this.dispatch();
      },
      (error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))),
    );
  }

  run<T, R>(module: string, name: string, task: T): Promise<R> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ request: { module, name, task }, resolve: resolve as (value: unknown) => void, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    await this.started;
    while (this.running.size > 0 || (this.waiting.length > 0 && this.failure === undefined)) await Promise.allSettled([...this.running]);
    await this.stop(new Error("the thread pool was closed"));
  }

  async destroy(): Promise<void> {
    await this.stop(new Error("the thread pool was destroyed"));
  }

  /** Hands waiting tasks to idle threads. */
  private dispatch(): void {
    while (this.failure === undefined && this.idle.length > 0 && this.waiting.length > 0) {
      const thread = this.idle.pop()!;
      const { request, resolve, reject } = this.waiting.shift()!;
      thread.hold(true);
      const done: Promise<unknown> = thread
        .request<typeof request, TaskReply>(request, [], `${request.name} of ${path.basename(request.module)}`)
        .then((reply) => {
          thread.hold(false);
          this.idle.push(thread);
          if (reply.ok) resolve(reply.value);
          else reject(taskError(reply.error));
          this.dispatch();
        }, reject)
        .finally(() => this.running.delete(done));
      this.running.add(done);
    }
  }

  /** Fails the pool: waiting tasks fail with `error`, the threads are stopped. */
  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const { reject } of this.waiting.splice(0)) reject(error);
    void Promise.all(this.members.map((thread) => thread.terminate()));
  }

  private async stop(reason: Error): Promise<void> {
    this.fail(reason);
    await this.started;
    await Promise.all(this.members.map((thread) => thread.terminate()));
  }
}

/** A task's error as the thread reported it, with the thread's stack. */
function taskError(reported: { name: string; message: string; stack?: string }): Error {
  const error = new Error(reported.message);
  error.name = reported.name;
  if (reported.stack !== undefined) error.stack = reported.stack;
  return error;
}

/**
 * JavaScript for `entries` and what they require: what this program was compiled with, when it runs
 * through `scripts/run_compiled.js` and that holds them (`compile_graph.js` follows `taskModule`
 * calls); otherwise compiled in a short-lived thread of its own (each compilation leaves ~25 MB
 * behind in the process), so that the main thread need not load the compiler for this.
 */
async function compiledModules(entries: string[]): Promise<Record<string, string>> {
  const hook = require("../scripts/compiled_hook") as {
    installedModules(): Record<string, string> | undefined;
    compileInThread(entries: string[]): Promise<Record<string, string>>;
  };
  const installed = hook.installedModules();
  if (installed !== undefined && entries.every((entry) => installed[entry] !== undefined)) return installed;
  return hook.compileInThread(entries);
}

/**
 * The main thread's Node flags without the TypeScript hook (`scripts/register.js`, which loads the
 * compiler): the threads run JavaScript compiled beforehand, and compile on load only what was not.
 */
function threadExecArgv(): string[] {
  const flags: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const flag = process.execArgv[i];
    const isRequire = flag === "-r" || flag === "--require";
    if (isRequire && process.execArgv[i + 1]?.endsWith("register.js")) i++;
    else if (!flag.endsWith("register.js")) flags.push(flag);
  }
  return flags;
}
