/**
 * An in-process sink: where the outputs of a local run (a test, a report) land in this process.
 * DoFns are serialized and rebuilt by the runner, so a plain captured array would be a copy; this
 * module is registered for serialization by name, so the rebuilt DoFn calls the very `collect`
 * below, in the same process. (Meaningless on a remote runner: there, write to a real sink.)
 */
import { requireForSerialization } from "apache-beam/serialization";
import { onMainThread, sendToMainThread } from "../sdk/main_thread";

const collected = new Map<string, unknown[]>();
let nextId = 0;

/** Opens a new, empty collection and returns its id. */
export function openCollection(label: string): string {
  const id = `${label}#${nextId++}`;
  collected.set(id, []);
  return id;
}

/** Appends one element to an open collection (from a runner's worker thread, once its bundle ends). */
export function collect(id: string, element: unknown): void {
  sendToMainThread(COLLECT, [id, element]);
}

const COLLECT = "beam-ts-native/io/in_process.collect";
onMainThread(COLLECT, (payload) => {
  const [id, element] = payload as [string, unknown];
  const target = collected.get(id);
  if (target === undefined) {
    throw new Error(`No open test collection '${id}': was the pipeline run outside runPipeline()?`);
  }
  target.push(element);
});

/** Closes a collection and returns everything collected into it. */
export function closeCollection(id: string): unknown[] {
  const elements = collected.get(id) ?? [];
  collected.delete(id);
  return elements;
}

requireForSerialization("beam-ts-native/io/in_process", exports);
