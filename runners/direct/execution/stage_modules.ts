/**
 * Which modules registered for serialization a worker thread must load to rebuild a job's stages.
 * A Beam worker loads every registered module; a process that imported Bigtable, Pub/Sub and
 * Parquet for other jobs would make each thread load them all (measured: ~0.5 s of CPU per thread
 * on this machine, more than half its start-up) for a file pipeline that uses none. A stage needs
 * the modules its serialized closures, coders and combine functions name (every registered value
 * is serialized as `beam:<module>.<export>…`) and the modules whose operators run its URNs (each of
 * ours exports its URN). When a URN of a stage is neither the SDK's (`beam:…`) nor exported by a
 * registered module, every registered module is loaded, as before.
 */
import { getRegisteredModules } from "apache-beam/serialization";
import type * as runnerApi from "apache-beam/proto/beam_runner_api";
import { registeredModulePath } from "../verify_serialization";

/** The files of the registered modules `transforms` need, in the order they were registered. */
export function stageModules(components: runnerApi.Components, componentsBinary: Uint8Array, transforms: Iterable<string>): string[] {
  const registered = getRegisteredModules().map((name) => ({ name, file: registeredModulePath(name) })).filter((m): m is { name: string; file: string } => m.file !== undefined);
  const text = Buffer.from(componentsBinary.buffer, componentsBinary.byteOffset, componentsBinary.byteLength).toString("latin1");
  const needed = new Set(registered.filter(({ name }) => text.includes(`beam:${name}.`)).map((m) => m.name));
  for (const id of transforms) {
    const urn = components.transforms[id]?.spec?.urn;
    if (urn === undefined || urn === "" || urn.startsWith("beam:")) continue;
    const provider = registered.find(({ file }) => exportsString(file, urn));
    if (provider === undefined) return registered.map((m) => m.file);
    needed.add(provider.name);
  }
  return registered.filter((m) => needed.has(m.name)).map((m) => m.file);
}

/** True when the module at `file` (already loaded on this thread) exports the string `value`. */
function exportsString(file: string, value: string): boolean {
  const loaded = require.cache[file]?.exports as Record<string, unknown> | undefined;
  return loaded !== undefined && Object.values(loaded).includes(value);
}
