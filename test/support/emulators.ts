/**
 * Emulators for a mocha suite:
 *
 * ```ts
 * describe("my Pub/Sub sink", () => {
 *   const emulators = useEmulators(["pubsub"]);
 *   it("…", async () => { … emulators.endpoints.pubsub … });
 * });
 * ```
 * Starts them once before the suite's tests (or reuses those the environment points at), sets
 * PUBSUB_EMULATOR_HOST / BIGTABLE_EMULATOR_HOST for the clients, and stops them and restores the
 * environment after the suite, whether its tests passed or failed. When an emulator is not installed
 * the suite is skipped with a line saying what to install: a missing external tool is the only
 * reason a test of this project may skip.
 */
import { describeMissing, missingEmulators, startEmulators, type EmulatorName, type RunningEmulators } from "../../emulators";

/** The emulators of a suite; filled in before its first test. */
export interface SuiteEmulators {
  endpoints: RunningEmulators["endpoints"];
  env: Record<string, string>;
}

const START_TIMEOUT_MS = 30_000;
/** Room for `gcloud info`, the start itself and a stop of the Pub/Sub JVM. */
const HOOK_TIMEOUT_MS = START_TIMEOUT_MS + 15_000;

/** Registers before/after hooks in the current `describe` that start and stop `which`. */
export function useEmulators(which: EmulatorName[]): SuiteEmulators {
  const suite: SuiteEmulators = { endpoints: {}, env: {} };
  let running: RunningEmulators | undefined;
  const previous = new Map<string, string | undefined>();

  before(async function () {
    this.timeout(HOOK_TIMEOUT_MS);
    const missing = await missingEmulators(which);
    if (missing.length > 0) {
      for (const m of missing) console.log(`  skipped: ${describeMissing(m)}`);
      this.skip();
    }
    running = await startEmulators(which, { startTimeoutMs: START_TIMEOUT_MS });
    Object.assign(suite.endpoints, running.endpoints);
    Object.assign(suite.env, running.env);
    for (const [name, value] of Object.entries(running.env)) {
      previous.set(name, process.env[name]);
      process.env[name] = value;
    }
  });

  after(async function () {
    this.timeout(HOOK_TIMEOUT_MS);
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    previous.clear();
    await running?.stop();
    running = undefined;
  });

  return suite;
}
