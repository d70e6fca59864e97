/**
 * One measurement of the runner benchmark, alone in its process so that its peak memory is its own.
 * Prints one JSON line: { seconds, peak_rss_mb, result }.
 *
 *   node -r ./scripts/register.js bench/runner_case.ts <native|sdk|handwritten|map-native|map-sdk> <file|count>
 */
import "apache-beam";
import { directRunner as sdkDirectRunner } from "apache-beam/runners/direct_runner";
import type { Runner } from "apache-beam/runners/runner";
import { directRunner } from "../runners/direct";
import { closeCollection, openCollection } from "../io/in_process";
import { categoryRevenueLoop, categoryRevenuePipeline, mapChainPipeline } from "./workloads";

async function runCollecting(runner: Runner, build: (id: string) => (root: any) => void): Promise<unknown[]> {
  const id = openCollection("bench");
  await runner.run(build(id));
  return closeCollection(id);
}

const variants: Record<string, (arg: string) => Promise<unknown>> = {
  native: (file) => runCollecting(directRunner(), (id) => categoryRevenuePipeline(file, id, true)),
  sdk: (file) => runCollecting(sdkDirectRunner(), (id) => categoryRevenuePipeline(file, id, false)),
  handwritten: (file) => categoryRevenueLoop(file),
  "map-native": (count) => runCollecting(directRunner(), (id) => mapChainPipeline(Number(count), id)),
  "map-sdk": (count) => runCollecting(sdkDirectRunner(), (id) => mapChainPipeline(Number(count), id)),
};

async function main(): Promise<void> {
  // No array destructuring here: ts-closure-transform 0.1.8 drops the second binding of `const [a, b] = …`.
  const variant = process.argv[2];
  const arg = process.argv[3];
  // The SDK's runner logs a line per bundle on console.debug; keep stdout for the measurement.
  console.debug = () => {};
  const start = process.hrtime.bigint();
  const run = variants[variant];
  if (run === undefined) throw new Error(`unknown variant '${variant}'; one of ${Object.keys(variants).join(", ")}`);
  const result = await run(arg);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ seconds, peak_rss_mb: peakRssMb, result }) + "\n");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
