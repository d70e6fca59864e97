/**
 * Starts the SDK's own worker (`apache-beam`'s worker_main, what the TypeScript container's boot
 * runs) as a child of the runner, with two things the container does not need:
 * - it exits when its parent does: the runner holds our stdin open, so stdin ending means the
 *   runner is gone however it died (even SIGKILL) — no orphan workers;
 * - `beam-ts-native/<path>` (the names this project registers its modules under) resolves to the
 *   code running here, source or built, as the package's exports do once installed.
 * The command line is worker_main's own (`--id`, `--control_endpoint`, `--logging_endpoint`, `--options`).
 */
import * as path from "path";
import Module = require("module");

const PACKAGE_PREFIX = "beam-ts-native/";
/** This project's root as the running code sees it: the source tree, or dist/ when built. */
const CODE_ROOT = path.resolve(__dirname, "../../../..");

process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();

type Resolve = (request: string, ...rest: unknown[]) => string;
const moduleInternals = Module as unknown as { _resolveFilename: Resolve };
const resolve = moduleInternals._resolveFilename;
moduleInternals._resolveFilename = function (request: string, ...rest: unknown[]) {
  const own = request.startsWith(PACKAGE_PREFIX) ? path.join(CODE_ROOT, request.slice(PACKAGE_PREFIX.length)) : request;
  return resolve.call(this, own, ...rest);
};

require("apache-beam/worker/worker_main");
