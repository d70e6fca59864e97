/**
 * A pool of worker threads that run exported functions of a module of this project: a thin layer
 * over `piscina`, so that every part of the project that wants every core (the data generator
 * today, the runner's executor next) starts threads the same way and can share one pool.
 *
 * What it adds to piscina: TypeScript modules load in the threads exactly as in the main thread
 * (`scripts/register.js`, the closure transform), and a pool is always closed, its threads ended,
 * however the caller's work ends.
 */
import * as os from "os";
import * as path from "path";
import { move, Piscina, transferableSymbol, valueSymbol } from "piscina";

/** Settings of {@link startThreadPool}. */
export interface ThreadPoolOptions {
  /** Threads to run (default: one per core). */
  threads?: number;
  /**
   * The task modules the threads will run (see {@link taskModule}). When they are TypeScript, the
   * main thread compiles them and what they import once, and the threads run that JavaScript
   * without loading the compiler; other modules are compiled by the thread that needs them.
   */
  modules?: readonly string[];
  /** Tasks queued beyond the running ones before `run` waits (default: one per thread). */
  maxQueue?: number;
}

/** A running pool. */
export interface ThreadPool {
  /** How many threads it runs. */
  readonly threads: number;
  /**
   * Runs `task` on a free thread: calls the export `name` of `module` with it (structured-cloned)
   * and resolves with what that function returned. The module must be a path (see {@link taskModule}).
   */
  run<T, R>(module: string, name: string, task: T): Promise<R>;
  /** Waits for the running tasks, then ends every thread. */
  close(): Promise<void>;
  /** Ends every thread now; running tasks fail. */
  destroy(): Promise<void>;
}

const REGISTER_COMPILED = path.join(__dirname, "..", "scripts", "register_compiled.js");

/**
 * The path of a task module given `require.resolve`-able `id` relative to `from` (`__dirname` of
 * the caller): the `.ts` source when running from sources, the `.js` file when running from `dist/`.
 */
export function taskModule(from: string, id: string): string {
  return require.resolve(path.join(from, id));
}

/**
 * For a task function's return: `value` is handed to the main thread with `buffers` moved rather
 * than copied (they become unusable in the thread). The main thread receives `value` itself.
 */
export function transferring<T>(value: T, buffers: ArrayBuffer[]): T {
  // Assigned, not written as computed keys of a literal: ts-closure-transform miscompiles those.
  const wrapper: Record<symbol, unknown> = {};
  wrapper[transferableSymbol] = buffers;
  wrapper[valueSymbol] = value;
  return move(wrapper as unknown as Parameters<typeof move>[0]) as unknown as T;
}

/** Starts a pool; close it (or destroy it) on every path. Threads start with the first task. */
export function startThreadPool(options: ThreadPoolOptions = {}): ThreadPool {
  const threads = options.threads ?? os.availableParallelism();
  const fromSources = __filename.endsWith(".ts");
  const tasks = (options.modules ?? []).filter((module) => module.endsWith(".ts"));
  // Compiled in a thread of its own that then ends: the main thread may be running without the
  // compiler (scripts/run_compiled.js), and need not load it for this.
  const piscina: Promise<Piscina> = (fromSources && tasks.length > 0 ? compiledHook().compileInThread(tasks) : Promise.resolve({})).then(
    (compiledModules) =>
      new Piscina({
        minThreads: threads,
        maxThreads: threads,
        maxQueue: options.maxQueue ?? threads,
        execArgv: threadExecArgv(fromSources),
        workerData: { compiledModules },
      }),
  );
  // A failed compilation surfaces in run(); close() and destroy() still end whatever started.
  piscina.catch(() => undefined);
  return {
    threads,
    run: async <T, R>(module: string, name: string, task: T) => (await piscina).run(task, { filename: module, name }) as Promise<R>,
    close: async () => (await piscina.catch(() => undefined))?.close(),
    destroy: async () => (await piscina.catch(() => undefined))?.destroy(),
  };
}

/** scripts/compiled_hook.js, which compiles in a short-lived thread (plain JavaScript, no types). */
function compiledHook(): { compileInThread(entries: string[]): Promise<Record<string, string>> } {
  return require("../scripts/compiled_hook");
}

/**
 * The main thread's Node flags, plus the TypeScript hook when running from sources: threads then
 * compile on load as the main thread does, whether or not it was started with
 * `-r scripts/register.js` (mocha loads the hook itself, so it is not in execArgv).
 */
function threadExecArgv(fromSources: boolean): string[] {
  const flags: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const flag = process.execArgv[i];
    const isRequire = flag === "-r" || flag === "--require";
    if (isRequire && process.execArgv[i + 1]?.endsWith("register.js")) i++;
    else if (!flag.endsWith("register.js")) flags.push(flag);
  }
  return fromSources ? [...flags, "--require", REGISTER_COMPILED] : flags;
}
