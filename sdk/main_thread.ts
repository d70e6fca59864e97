/**
 * Calls from code that may run on a runner's worker thread to the job's main thread. A DoFn that
 * must reach something living in the process that runs the pipeline (`io/in_process.ts`'s
 * collections, the only one today) sends a message by handler name; on the main thread the handler
 * runs at once, on a worker thread the message waits in an outbox that the runner ships back with
 * the bundle's outputs and delivers before the bundle counts as done — so, as in process, everything
 * a bundle sent has arrived when the job ends. Messages are structured-cloned: plain data only.
 * An SDK worker process (the runner's Fn API environment) keeps an outbox too: its bundles' messages
 * travel back to the runner's process with each bundle's response.
 */
import { isMainThread } from "worker_threads";

type Handler = (payload: unknown) => void;

const handlers = new Map<string, Handler>();
let outbox: [string, unknown][] = [];
let keepsOutbox = !isMainThread;

/** Makes this process keep an outbox, as a worker thread does: it runs bundles for a runner in another process. */
export function keepOutbox(): void {
  keepsOutbox = true;
}

/** Registers the main-thread handler of messages named `name` (each module registers its own, on every thread). */
export function onMainThread(name: string, handler: Handler): void {
  handlers.set(name, handler);
}

/** Runs the handler `name` with `payload` on the main thread: now when called there, once the bundle ends when on a worker. */
export function sendToMainThread(name: string, payload: unknown): void {
  if (!keepsOutbox) deliver(name, payload);
  else outbox.push([name, payload]);
}

/** Empties this worker's outbox, for the runner to ship with the bundle's outputs. */
export function takeOutbox(): [string, unknown][] {
  const taken = outbox;
  outbox = [];
  return taken;
}

/** Delivers, on the main thread, messages a worker thread sent. */
export function deliverOutbox(messages: readonly [string, unknown][]): void {
  for (const [name, payload] of messages) deliver(name, payload);
}

function deliver(name: string, payload: unknown): void {
  const handler = handlers.get(name);
  if (handler === undefined) throw new Error(`no main-thread handler named '${name}': is its module loaded in this process?`);
  handler(payload);
}
