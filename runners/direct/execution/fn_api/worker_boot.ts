/**
 * Starts the SDK's own worker (`apache-beam`'s worker_main, what the TypeScript container's boot
 * runs) as a child of the runner, with two things the container does not need:
 * - it dies when its parent does, however the runner died (even SIGKILL) and even while a DoFn
 *   holds the event loop: a watchdog thread sees the parent change (reparenting) and kills this
 *   process — no orphan workers;
 * - `beam-ts-native/<path>` (the names this project registers its modules under) resolves to the
 *   code running here, source or built, as the package's exports do once installed.
 * - an iterable side input reads the same for every element of a bundle, as it does in process
 *   (side_inputs.ts): the SDK's worker caches the one-shot generator it decodes and hands that same
 *   generator to every element, so all but the first would read nothing. (Dataflow runs the SDK's
 *   worker unpatched: there the bug is real.)
 * - a bundle's metrics are that bundle's: the SDK's MetricsContainer.reset() between bundles clears
 *   each cell's "set" flag but not its value, so a stage's second bundle would report the first's
 *   counts again (on Dataflow, unpatched, counters of reused bundle processors over-count);
 * - what a bundle sends to the runner's process (sdk/main_thread.ts: `io/in_process.ts` collections)
 *   is kept in an outbox and shipped back in the bundle's response (outbox.ts), as worker threads do.
 * The command line is worker_main's own (`--id`, `--control_endpoint`, `--logging_endpoint`, `--options`).
 */
// The SDK's modules import each other in a cycle that only resolves when its root loads first.
import "apache-beam";
import * as path from "path";
import Module = require("module");
import { Worker } from "worker_threads";
import type { InstructionResponse, StateKey } from "apache-beam/proto/beam_fn_api";
import { reiterable } from "../side_inputs";
import { keepOutbox, takeOutbox } from "../../../../sdk/main_thread";
import { outboxInfo } from "./outbox";

const PACKAGE_PREFIX = "beam-ts-native/";
/** This project's root as the running code sees it: the source tree, or dist/ when built. */
const CODE_ROOT = path.resolve(__dirname, "../../../..");

const PARENT_CHECK_MS = 500;
const watchdog = new Worker(
  `const parent = ${process.ppid};
   setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, "SIGKILL"); }, ${PARENT_CHECK_MS});`,
  { eval: true },
);
watchdog.unref();

type Resolve = (request: string, ...rest: unknown[]) => string;
const moduleInternals = Module as unknown as { _resolveFilename: Resolve };
const resolve = moduleInternals._resolveFilename;
moduleInternals._resolveFilename = function (request: string, ...rest: unknown[]) {
  const own = request.startsWith(PACKAGE_PREFIX) ? path.join(CODE_ROOT, request.slice(PACKAGE_PREFIX.length)) : request;
  return resolve.call(this, own, ...rest);
};

const state = require("apache-beam/worker/state") as typeof import("apache-beam/worker/state");
const cachedRead = state.CachingStateProvider.prototype.getState;
state.CachingStateProvider.prototype.getState = function <T>(this: unknown, key: StateKey, decode: (data: Uint8Array) => T) {
  return cachedRead.call(this, key, (bytes: Uint8Array) => reiterable(decode, bytes));
};

const metrics = require("apache-beam/worker/metrics") as typeof import("apache-beam/worker/metrics");
const resetFlags = metrics.MetricsContainer.prototype.reset;
metrics.MetricsContainer.prototype.reset = function (this: { metrics: Map<string, { value: { reset(): void } }> }) {
  resetFlags.call(this);
  for (const cell of this.metrics.values()) cell.value.reset();
};

keepOutbox();
const harness = require("apache-beam/worker/worker") as typeof import("apache-beam/worker/worker");
const respond = harness.Worker.prototype.respond;
harness.Worker.prototype.respond = function (this: unknown, response: InstructionResponse) {
  // One bundle at a time per worker (fn_api_executor.ts), so the outbox is this bundle's; a failed one's is dropped.
  const messages = takeOutbox();
  if (response.error === "" && response.response.oneofKind === "processBundle") response.response.processBundle.monitoringInfos.push(...outboxInfo(messages));
  return respond.call(this, response);
};

require("apache-beam/worker/worker_main");
