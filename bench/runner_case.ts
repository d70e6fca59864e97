/**
 * One measurement of the runner benchmark, alone in its process so that its peak memory is its own.
 * Prints one JSON line: { seconds, cpu_seconds, steal_seconds, peak_rss_mb, result } (CPU: every
 * thread of the process over the timed part, which other work on a shared machine moves less than
 * the seconds; steal: what the hypervisor gave others meanwhile, the whole machine's, `steal.ts`).
 *
 *   node -r ./scripts/register.js bench/runner_case.ts <native|sdk|handwritten|batch-etl|map-native|map-sdk> <file|count>
 *   node -r ./scripts/register.js bench/runner_case.ts <native-warm|sdk-warm|handwritten-warm> <file>
 *   node -r ./scripts/register.js bench/runner_case.ts <native-workers|native-workers-warm|handwritten> <file> [workers] [cpu-load]
 *   node -r ./scripts/register.js bench/runner_case.ts batch-etl <file> [workers]
 */
import "apache-beam";
import * as fs from "fs";
import * as path from "path";
import { directRunner as sdkDirectRunner } from "apache-beam/runners/direct_runner";
import type { Runner } from "apache-beam/runners/runner";
import { directRunner } from "../runners/direct";
import { closeCollection, openCollection } from "../io/in_process";
import { stealSeconds, stealSince } from "./steal";
import { batchEtl, categoryRevenueLoop, categoryRevenuePipeline, mapChainInput, mapChainPipeline } from "./workloads";

async function runCollecting(runner: Runner, build: (id: string) => (root: any) => void): Promise<unknown[]> {
  const id = openCollection("bench");
  await runner.run(build(id));
  return closeCollection(id);
}

/** Each variant: what it needs made before the clock starts (input data, a warm-up), the timed work, then what it leaves to remove. */
interface Variant<I> {
  prepare(arg: string): I;
  warmUp?(input: I, settings: Settings): Promise<unknown>;
  run(input: I, settings: Settings): Promise<unknown>;
  cleanUp?(input: I): void;
}

type Settings = { workers?: number; cpuLoad: number };

const fileVariant = (run: (file: string, settings: Settings) => Promise<unknown>): Variant<string> => ({ prepare: (file) => file, run });
const nativeWorkers = (file: string, { workers, cpuLoad }: Settings) => runCollecting(directRunner({ workers }), (id) => categoryRevenuePipeline(file, id, true, cpuLoad));
const mapChainVariant = (runner: () => Runner): Variant<number[]> => ({
  prepare: (count) => mapChainInput(Number(count)),
  run: (numbers) => runCollecting(runner(), (id) => mapChainPipeline(numbers, id)),
});

/**
 * What a process that ran the same work moments before gives the next: run once, untimed, first —
 * its code compiled, and on our runner its threads started (kept idle 5 s for the next job:
 * execution/worker_pool.ts).
 */
const warm = <I>(variant: Variant<I>): Variant<I> => ({ ...variant, warmUp: variant.run });

const nativeAtWorkers = fileVariant(nativeWorkers);
const native = fileVariant((file) => nativeWorkers(file, { cpuLoad: 0 }));
const sdk = fileVariant((file) => runCollecting(sdkDirectRunner(), (id) => categoryRevenuePipeline(file, id, false)));
const handwritten = fileVariant((file, { cpuLoad }) => categoryRevenueLoop(file, cpuLoad));

const variants: Record<string, Variant<any>> = {
  native,
  sdk,
  handwritten,
  "native-warm": warm(native),
  "sdk-warm": warm(sdk),
  "handwritten-warm": warm(handwritten),
  "native-workers": nativeAtWorkers,
  "native-workers-warm": warm(nativeAtWorkers),
  "batch-etl": {
    prepare: (file: string) => ({ file, output: fs.mkdtempSync(path.join(path.dirname(file), "batch-etl-")) }),
    run: ({ file, output }: { file: string; output: string }, { workers }) => batchEtl(file, output, workers),
    cleanUp: ({ output }: { output: string }) => fs.rmSync(output, { recursive: true, force: true }),
  },
  "map-native": mapChainVariant(() => directRunner()),
  "map-sdk": mapChainVariant(() => sdkDirectRunner()),
};

async function main(): Promise<void> {
  const [variantName, arg, workers, cpuLoad] = process.argv.slice(2);
  // The SDK's runner logs a line per bundle on console.debug; keep stdout for the measurement.
  console.debug = () => {};
  const variant = variants[variantName];
  if (variant === undefined) throw new Error(`unknown variant '${variantName}'; one of ${Object.keys(variants).join(", ")}`);
  const input = variant.prepare(arg);
  const settings: Settings = { workers: workers === undefined ? undefined : Number(workers), cpuLoad: Number(cpuLoad ?? 0) };
  await variant.warmUp?.(input, settings);
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const stealStart = stealSeconds();
  const result = await variant.run(input, settings);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const steal = stealSince(stealStart);
  variant.cleanUp?.(input);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, steal_seconds: steal, peak_rss_mb: peakRssMb, result }) + "\n");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
