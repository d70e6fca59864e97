/**
 * `npm run chaos`: the standing chaos suite against Google's emulators (started here). Each probe
 * prints one JSON line; the process exits 1 if any failed. `npm run chaos -- poison` runs one.
 */
import { startEmulators } from "../emulators";
import { closeBigtableClients } from "../io/bigtable";
import { poisonProbe } from "./poison";
import { badFilesProbe } from "./bad_files";
import { overloadProbe } from "./overload";

const PROBES: Record<string, () => Promise<{ pass: boolean }>> = {
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
