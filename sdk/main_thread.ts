/**
 * Calls from code that may run on a runner's worker thread to the job's main thread. A DoFn that
 * must reach something living in the process that runs the pipeline (`io/in_process.ts`'s
 * collections, the only one today) sends a message by handler name; on the main thread the handler
 * runs at once, on a worker thread the message waits in an outbox that the runner ships back with
 * the bundle's outputs and delivers before the bundle counts as done — so, as in process, everything
 * a bundle sent has arrived when the job ends. Messages are structured-cloned: plain data only.
 */
import { isMainThread } from "worker_threads";

type Handler = (payload: unknown) => void;

const handlers = new Map<string, Handler>();
let outbox: [string, unknown][] = [];

/** Registers the main-thread handler of messages named `name` (each module registers its own, on every thread). */
export function onMainThread(name: string, handler: Handler): void {
  handlers.set(name, handler);
}

/** Runs the handler `name` with `payload` on the main thread: now when called there, once the bundle ends when on a worker. */
export function sendToMainThread(name: string, payload: unknown): void {
  if (isMainThread) deliver(name, payload);
  else outbox.push([name, payload]);
}

/** Empties this worker thread's outbox, for the runner to ship with the bundle's outputs. */
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
