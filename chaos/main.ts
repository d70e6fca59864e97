/**
 * `npm run chaos`: the standing chaos suite against Google's emulators (started here). Each probe
 * prints one JSON line; the process exits 1 if any failed. `npm run chaos -- poison` runs one.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startEmulators } from "../emulators";
import { closeBigtableClients } from "../io/bigtable";
import { poisonProbe } from "./poison";
import { badFilesProbe } from "./bad_files";
import { overloadProbe } from "./overload";
import { crashLoopProbe } from "./crash_loop";
import { outageProbe, type OutageProbeOptions } from "./outage";
import { writeStreamFiles } from "./stream_files";

/** Runs `probe` on stream files written to a folder of its own, removed after. */
async function withStreamFiles<T>(shape: { rows: number; bad: number; parts: number }, probe: (files: string[]) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chaos-stream-"));
  try {
    return await probe(await writeStreamFiles(dir, shape));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Bigtable or Pub/Sub cut off for 10 s, the job killed 5 s into the cut or not. */
const outage = (service: OutageProbeOptions["service"], kill: boolean) => () =>
  withStreamFiles({ rows: 10_000, bad: 20, parts: 2 }, (files) =>
    outageProbe({ service, inputs: files as [string, string], cutMs: 10_000, killAfterMs: kill ? 5_000 : undefined }),
  );

const PROBES: Record<string, () => Promise<{ pass: boolean }>> = {
  "crash-loop": () =>
    withStreamFiles({ rows: 40_000, bad: 32, parts: 1 }, (files) => crashLoopProbe({ inputs: files, rate: 400, kills: 20, killAfterMs: [500, 4_000] })),
  "outage-bigtable": outage("bigtable", false),
  "outage-bigtable-kill": outage("bigtable", true),
  "outage-pubsub": outage("pubsub", false),
  "outage-pubsub-kill": outage("pubsub", true),
  "bad-files": () => badFilesProbe(),
  poison: () => poisonProbe({ good: 4000, malformed: 1000, duplicates: 200 }),
  overload: () => overloadProbe({ capacityPerSecond: 2000, overloadFactor: 3, seconds: 180 }),
};

async function main(): Promise<number> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in PROBES));
  if (unknown.length > 0) {
    process.stderr.write(`chaos: unknown probe ${unknown.join(", ")}; the probes are ${Object.keys(PROBES).join(", ")}\n`);
    return 2;
  }
  let failed = 0;
  for (const name of asked.length > 0 ? asked : Object.keys(PROBES)) {
    const emulators = await startEmulators(["pubsub", "bigtable"]);
    const previous = { ...process.env };
    Object.assign(process.env, emulators.env);
    try {
      const result = await PROBES[name]();
      if (!result.pass) failed++;
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } catch (error) {
      failed++;
      process.stdout.write(`${JSON.stringify({ probe: name, pass: false, error: (error as Error).message })}\n`);
    } finally {
      await closeBigtableClients();
      process.env = previous;
      await emulators.stop();
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
