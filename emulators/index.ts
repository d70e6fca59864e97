/**
 * Google's Pub/Sub and Bigtable emulators for local runs and tests:
 *
 * ```ts
 * const emulators = await startEmulators(["pubsub", "bigtable"]);
 * Object.assign(process.env, emulators.env); // PUBSUB_EMULATOR_HOST, BIGTABLE_EMULATOR_HOST
 * try { ... } finally { await emulators.stop(); }
 * ```
 * Each runs on a free loopback port in its own process group, its output in a log file; `stop()`,
 * the end of this process or Ctrl-C stops it (see process_group.ts). An emulator whose variable is
 * already set is reused: nothing is started for it, and `stop()` leaves it alone.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { emulatorSpec, type EmulatorName, type EmulatorSpec } from "./catalog";
import { acceptsConnections, answersHttp, freePort, waitUntil } from "./health";
import { spawnProcessGroup, type OwnedProcess } from "./process_group";
import { removeFolderWhenGone } from "./watchdog";
import { emulatorExecutable, gcloudSdkRoot, missingEmulators, missingEmulatorsError } from "./sdk";

export type { EmulatorName } from "./catalog";
export { describeMissing, missingEmulators, type LocateOptions, type MissingEmulator } from "./sdk";

/** Options of {@link startEmulators}. */
export interface StartEmulatorsOptions {
  /** Where the log files go; default: a new directory under the OS temp dir. */
  logDir?: string;
  /** Bound on each emulator's start, until it answers (default 30 s; the Pub/Sub one needs ~2–4 s). */
  startTimeoutMs?: number;
  /** The gcloud SDK root; default: what `gcloud info` reports. */
  sdkRoot?: string;
}

/** Emulators started (or reused) by {@link startEmulators}. */
export interface RunningEmulators {
  /** host:port of each emulator asked for. */
  endpoints: { pubsub?: string; bigtable?: string };
  /** The variables that point the official clients at them, e.g. `PUBSUB_EMULATOR_HOST`. */
  env: Record<string, string>;
  /** The log file of each emulator started (none for reused ones). */
  logFiles: string[];
  /** The pid (also the process-group id) of each emulator started. */
  pids: { pubsub?: number; bigtable?: number };
  /** Stops what was started (SIGTERM, then SIGKILL after a bound); idempotent. */
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
const DEFAULT_START_TIMEOUT_MS = 30_000;
/** An endpoint given by the environment should already answer: a short bound, not a start-up wait. */
const REUSED_TIMEOUT_MS = 2_000;
/** Starts on a new port when another process took the free port first. */
const BIND_ATTEMPTS = 3;
const LOG_TAIL_BYTES = 2_000;

interface Started {
  spec: EmulatorSpec;
  endpoint: string;
  logFile: string;
  process: OwnedProcess;
}

/**
 * Starts `which` (those whose variable is not already set), waits until each answers, and returns
 * their endpoints. Throws, having started nothing, when something they need is missing (with the
 * commands that install it); throws, having stopped what it started, when one fails to start.
 */
export async function startEmulators(which: ReadonlyArray<EmulatorName>, options: StartEmulatorsOptions = {}): Promise<RunningEmulators> {
  const specs = [...new Set(which)].map(emulatorSpec);
  const reused = specs.filter((spec) => process.env[spec.envVar]);
  const toStart = specs.filter((spec) => !process.env[spec.envVar]);
  const sdkRoot = toStart.length > 0 ? (options.sdkRoot ?? (await gcloudSdkRoot())) : undefined;
  const missing = await missingEmulators(toStart.map((spec) => spec.name), { sdkRoot });
  if (missing.length > 0) throw missingEmulatorsError(missing);
  await Promise.all(reused.map((spec) => checkReused(spec, process.env[spec.envVar]!)));

  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  // A folder of our own is removed when the emulators stop, or by the watchdog if we die first.
  const ownLogDir = options.logDir === undefined && toStart.length > 0;
  const logDir = options.logDir ?? (toStart.length > 0 ? fs.mkdtempSync(path.join(os.tmpdir(), "beam-ts-native-emulators-")) : os.tmpdir());
  fs.mkdirSync(logDir, { recursive: true });
  if (ownLogDir) removeFolderWhenGone(logDir);
  const removeLogDir = () => {
    if (ownLogDir) fs.rmSync(logDir, { recursive: true, force: true });
  };
  const outcomes = await Promise.allSettled(toStart.map((spec) => startOne(spec, emulatorExecutable(spec, sdkRoot!), logDir, timeoutMs)));
  const started = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
  const failures = outcomes.flatMap((o) => (o.status === "rejected" ? [(o.reason as Error).message] : []));
  if (failures.length > 0) {
    await Promise.allSettled(started.map((s) => s.process.stop()));
    removeLogDir(); // the failures carry the end of each log
    throw new Error(failures.join("\n"));
  }

  const running: RunningEmulators = { endpoints: {}, env: {}, logFiles: [], pids: {}, stop: () => Promise.resolve() };
  for (const spec of reused) {
    running.endpoints[spec.name] = process.env[spec.envVar]!;
    running.env[spec.envVar] = process.env[spec.envVar]!;
  }
  for (const s of started) {
    running.endpoints[s.spec.name] = s.endpoint;
    running.env[s.spec.envVar] = s.endpoint;
    running.logFiles.push(s.logFile);
    running.pids[s.spec.name] = s.process.pid;
  }
  let stopping: Promise<void> | undefined;
  running.stop = () => {
    stopping ??= Promise.all(started.map((s) => s.process.stop())).then(removeLogDir);
    return stopping;
  };
  return running;
}

async function startOne(spec: EmulatorSpec, executable: string, logDir: string, timeoutMs: number): Promise<Started> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(HOST);
    const logFile = path.join(logDir, `${spec.name}-${port}.log`);
    const child = await spawnProcessGroup(executable, spec.args(HOST, port), logFile, unsetOf(spec.defaultEnv));
    try {
      const exited = child.exited.then((how) => `it exited (${how})`);
      await waitUntil(`${spec.title} on ${HOST}:${port}`, () => ready(spec, HOST, port), Math.max(0, deadline - Date.now()), { aborted: exited });
      return { spec, endpoint: `${HOST}:${port}`, logFile, process: child };
    } catch (error) {
      const notStopped = await child.stop().then(
        () => "",
        (stopError: Error) => `; and stopping it failed: ${stopError.message}`,
      );
      const log = logTail(logFile);
      if (notStopped === "" && attempt < BIND_ATTEMPTS && /address already in use/i.test(log)) continue;
      throw new Error(`${(error as Error).message}${notStopped}\n${logFile} ends with:\n${log}`);
    }
  }
}

function ready(spec: EmulatorSpec, host: string, port: number): Promise<boolean> {
  return spec.readiness === "http" ? answersHttp(host, port) : acceptsConnections(host, port);
}

async function checkReused(spec: EmulatorSpec, endpoint: string): Promise<void> {
  const separator = endpoint.lastIndexOf(":");
  const host = endpoint.slice(0, separator).replace(/^\[(.*)\]$/, "$1");
  const port = Number(endpoint.slice(separator + 1));
  if (separator <= 0 || !Number.isInteger(port) || port <= 0) {
    throw new Error(`${spec.envVar}=${endpoint} is not host:port; fix it, or unset it to have ${spec.title} started`);
  }
  await waitUntil(
    `${spec.envVar}=${endpoint} is set, so ${spec.title} is expected there (unset it to have one started)`,
    () => ready(spec, host, port),
    REUSED_TIMEOUT_MS,
  );
}

function logTail(logFile: string): string {
  try {
    const size = fs.statSync(logFile).size;
    const fd = fs.openSync(logFile, "r");
    try {
      const buffer = Buffer.alloc(Math.min(size, LOG_TAIL_BYTES));
      fs.readSync(fd, buffer, 0, buffer.length, size - buffer.length);
      return buffer.toString("utf8").trimEnd() || "(nothing)";
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    return `(unreadable: ${(error as Error).message})`;
  }
}

/** The variables of `defaults` the user has not set (theirs win). */
function unsetOf(defaults: Record<string, string>): Record<string, string> {
  const unset: Record<string, string> = {};
  for (const name of Object.keys(defaults)) if (process.env[name] === undefined) unset[name] = defaults[name];
  return unset;
}
