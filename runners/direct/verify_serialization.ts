/**
 * What a remote runner does to a pipeline, checked locally: the proto crosses a process boundary as
 * bytes, and the worker `require`s every module registered for serialization by its name
 * (`registered_node_modules`). A name that does not resolve works here and fails on Dataflow.
 */
import * as fs from "fs";
import * as path from "path";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { getRegisteredModules } from "apache-beam/serialization";

const PACKAGE_NAME = "beam-ts-native";
const PROJECT_ROOT = projectRoot(__dirname);

/** Returns the pipeline after a round trip through bytes; throws naming every unloadable module. */
export function verifySerialization(pipeline: runnerApi.Pipeline): runnerApi.Pipeline {
  const unresolvable = getRegisteredModules().filter((name) => !resolvable(name));
  if (unresolvable.length > 0) {
    throw new Error(
      `modules registered for serialization cannot be loaded by name, as a remote worker must: ${unresolvable.join(", ")}. ` +
        `Register each module under a name that require() resolves (for this project: "${PACKAGE_NAME}/<path>").`,
    );
  }
  return runnerApi.Pipeline.fromBinary(runnerApi.Pipeline.toBinary(pipeline));
}

function resolvable(name: string): boolean {
  return registeredModulePath(name) !== undefined;
}

/**
 * The file a module registered for serialization under `name` loads from, or undefined when none
 * does. This project's modules resolve through package.json "exports" once built; before a build the
 * source file standing at the same path is what the build will emit.
 */
export function registeredModulePath(name: string): string | undefined {
  if (name.startsWith(`${PACKAGE_NAME}/`)) {
    const relative = name.slice(PACKAGE_NAME.length + 1);
    const candidates = [path.join(PROJECT_ROOT, `${relative}.ts`), path.join(PROJECT_ROOT, "dist", `${relative}.js`)];
    // Built code loads built modules; source run through scripts/register.js loads sources.
    if (__filename.endsWith(".js")) candidates.reverse();
    return candidates.find((file) => fs.existsSync(file));
  }
  try {
    return require.resolve(name);
  } catch {
    return undefined;
  }
}

/** The nearest folder holding package.json (source and built files sit at different depths). */
function projectRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
