/**
 * Finding the emulators on this machine: the gcloud SDK root (as `gcloud info` reports it), each
 * emulator's executable under it, and Java for the Pub/Sub emulator. What is absent is reported with
 * the command that installs it, so a test can skip with a useful line and a user knows what to do.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { emulatorSpec, GCLOUD_INSTALL_COMMAND, JAVA_INSTALL_COMMAND, type EmulatorName, type EmulatorSpec } from "./catalog";

const execFileAsync = promisify(execFile);
/** `gcloud info` starts a Python interpreter: about a second, but bounded in case it hangs. */
const GCLOUD_INFO_TIMEOUT_MS = 30_000;

/** Something an emulator needs that this machine lacks. */
export interface MissingEmulator {
  emulator: EmulatorName;
  /** The absent executable's path, or the tool's name (`gcloud`, `java`). */
  missing: string;
  /** The command that installs it, e.g. `apt-get install google-cloud-cli-pubsub-emulator`. */
  install: string;
}

/** Where to look. */
export interface LocateOptions {
  /** The gcloud SDK root; defaults to what `gcloud info` reports. */
  sdkRoot?: string;
}

let sdkRootOfGcloud: Promise<string | undefined> | undefined;

/** The SDK root of the `gcloud` on the PATH (asked once per process), or undefined without gcloud. */
export function gcloudSdkRoot(): Promise<string | undefined> {
  sdkRootOfGcloud ??= (async () => {
    const gcloud = findOnPath("gcloud");
    if (gcloud === undefined) return undefined;
    try {
      const { stdout } = await execFileAsync(gcloud, ["info", "--format=value(installation.sdk_root)"], { timeout: GCLOUD_INFO_TIMEOUT_MS });
      return stdout.trim() || undefined;
    } catch (error) {
      throw new Error(`'${gcloud} info' failed, so the emulators cannot be located: ${(error as Error).message}`);
    }
  })();
  return sdkRootOfGcloud;
}

/** The executable of `spec` under the SDK root. */
export function emulatorExecutable(spec: EmulatorSpec, sdkRoot: string): string {
  return path.join(sdkRoot, spec.relativePath);
}

/**
 * What each of `which` lacks to start here; empty when all can start. An emulator whose endpoint is
 * already given by its environment variable (PUBSUB_EMULATOR_HOST, BIGTABLE_EMULATOR_HOST) is reused,
 * never started, so it lacks nothing.
 */
export async function missingEmulators(which: readonly EmulatorName[], options: LocateOptions = {}): Promise<MissingEmulator[]> {
  const specs = [...new Set(which)].map(emulatorSpec).filter((spec) => !process.env[spec.envVar]);
  if (specs.length === 0) return [];
  const sdkRoot = options.sdkRoot ?? (await gcloudSdkRoot());
  const missing: MissingEmulator[] = [];
  for (const spec of specs) {
    if (sdkRoot === undefined) {
      missing.push({ emulator: spec.name, missing: "gcloud", install: GCLOUD_INSTALL_COMMAND });
      continue;
    }
    const executable = emulatorExecutable(spec, sdkRoot);
    if (!isExecutable(executable)) {
      missing.push({ emulator: spec.name, missing: executable, install: spec.installCommand });
    } else if (spec.needsJava) {
      const java = missingJava();
      if (java !== undefined) missing.push({ emulator: spec.name, missing: java, install: JAVA_INSTALL_COMMAND });
    }
  }
  return missing;
}

/** One line saying what is missing and how to install it. */
export function describeMissing(m: MissingEmulator): string {
  const spec = emulatorSpec(m.emulator);
  const what = m.missing.endsWith(spec.relativePath) ? `${spec.title} is missing (${m.missing})` : `${spec.title} needs ${m.missing}, which is missing`;
  return `${what}; install it with: ${m.install}`;
}

/** The error to throw when emulators cannot start for lack of something. */
export function missingEmulatorsError(missing: readonly MissingEmulator[]): Error {
  return new Error(`cannot start the emulators:\n${missing.map((m) => `  - ${describeMissing(m)}`).join("\n")}`);
}

/**
 * The Java the Pub/Sub launcher would run, or what is missing: its script uses $JAVA_HOME/bin/java
 * when JAVA_HOME is set (and fails if that is not executable), `java` on the PATH otherwise.
 */
function missingJava(): string | undefined {
  const javaHome = process.env.JAVA_HOME;
  if (javaHome) {
    const java = path.join(javaHome, "bin", "java");
    return isExecutable(java) ? undefined : java;
  }
  return findOnPath("java") === undefined ? "java" : undefined;
}

/** The first executable named `tool` on the PATH. */
export function findOnPath(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, tool);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
