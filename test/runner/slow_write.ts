/** A sink write that takes its time (registered, so the rebuilt write function calls this one). */
import { requireForSerialization } from "apache-beam/serialization";

/** Resolves after `ms`. */
export function sleepThenAccept(_batch: unknown[], ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Never resolves: a destination that does not answer. */
export function neverAnswer(_batch: unknown[]): Promise<void> {
  return new Promise(() => {});
}

requireForSerialization("beam-ts-native/test/runner/slow_write", exports);
