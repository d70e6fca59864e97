/** A sink write that takes its time (registered, so the rebuilt write function calls this one). */
import * as fs from "fs";
import { requireForSerialization } from "apache-beam/serialization";

/** Resolves after `ms`. */
export function sleepThenAccept(_batch: unknown[], ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Appends one line per element of `batch` to `file` after `ms`: what landed, readable from any process. */
export async function sleepThenAppend(batch: unknown[], ms: number, file: string): Promise<void> {
  await sleepThenAccept(batch, ms);
  fs.appendFileSync(file, batch.map((element) => `${JSON.stringify(element)}\n`).join(""));
}

/** Never resolves: a destination that does not answer. */
export function neverAnswer(_batch: unknown[]): Promise<void> {
  return new Promise(() => {});
}

requireForSerialization("beam-ts-native/test/runner/slow_write", exports);
