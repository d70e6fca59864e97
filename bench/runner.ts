/**
 * `npm run bench:runner`: our direct runner against the SDK's direct runner and a hand-written loop,
 * side by side in one run on this machine.
 *
 * 1. read → parse → group by category → sum over a generated CSV (1M rows by default, `--rows N`):
 *    the hand-written loop, our runner at its default workers and at 1, and the SDK's runner, run
 *    `--repeats` times (3) in turn, each counted by its fastest run (every run in `rounds_s`); in the
 *    same rounds the loop, our runner at its default workers and the SDK's runner warm (`warm_*`
 *    keys: the same work run once, untimed, in the same process first — what a process that ran a
 *    job moments before gives the next, its code compiled and our threads started: how much of each
 *    one's time is its start). The goals' keys are the cold runs;
 * 2. the whole batch ETL over the same file (every aggregate, rows, dead letters, report), on our runner
 *    at 1, 2 and 4 workers (its memory bound holds at every worker count, every thread counted);
 * 3. N elements through a three-step map chain (elements/s).
 *
 * Each measurement runs in its own process (peak RSS is per process), after one uncounted warm-up
 * run of the batch ETL (compile cache and page cache filled). The variants must agree on the
 * result, or the benchmark fails. Prints one JSON line.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeTransactions } from "../fixtures/generate";
import { GENERATOR_DEFAULTS } from "../fixtures/transaction_rows";
import { agree, measure, revenueTable, ROOT, type Measurement } from "./measure";
import { runBench, wholeNumberFlag, type Bench, type BenchFlags } from "./command";
import { stealSeconds, stealSince } from "./steal";
import { fastest, inTurn, REPEATS_FLAG, spread, warmUp } from "./repeats";

/** The worker counts the whole batch ETL runs at; `batch_etl_s` is at the runner's default, the machine's cores (run again unless among them). */
const BATCH_ETL_WORKERS = [1, 2, 4];

const BENCH: Bench = {
  name: "bench:runner",
  summary: "Our direct runner against the SDK's direct runner and a hand-written loop over a generated CSV\n(read → parse → group by category → sum), the whole batch ETL at 1, 2 and 4 workers, and a map\nchain; one JSON line on stdout (bench/README.md).",
  flags: [
    { name: "rows", type: "string", value: "N", default: "1000000", help: "rows of the generated CSV (cached in .bench/)" },
    { name: "map-elements", type: "string", value: "N", default: "1000000", help: "elements through the map chain" },
    { name: "skip-sdk", type: "boolean", help: "leave out the SDK's runner (its ratios are then null)" },
    REPEATS_FLAG,
  ],
};

async function main(flags: BenchFlags): Promise<void> {
  const repeats = wholeNumberFlag(flags, "repeats");
  const skipSdk = flags["skip-sdk"] === true;
  const loadAtStart = os.loadavg()[0];
  const stealAtStart = stealSeconds();
  const rows = wholeNumberFlag(flags, "rows");
  const mapElements = wholeNumberFlag(flags, "map-elements");
  // Named by the catalogue too: a file cached by an older generator has other key counts.
  const file = path.join(ROOT, ".bench", `transactions-${rows}-products${GENERATOR_DEFAULTS.products}.csv`);
  if (!fs.existsSync(file)) {
    process.stderr.write(`generating ${rows} rows into ${file}…\n`);
    await writeTransactions({ rows, seed: 42, format: "csv", out: file });
  }
  const step = (label: string, variant: string, ...args: (string | number)[]) => {
    process.stderr.write(`${label}…`);
    const m = measure(variant, ...args);
    process.stderr.write(` ${m.seconds.toFixed(2)} s (${m.cpu_seconds.toFixed(2)} s CPU), ${m.peak_rss_mb.toFixed(0)} MB\n`);
    return m;
  };
  // In turn, so that each sees the same minutes of this shared machine; the fastest run counts, as
  // other work only ever adds time (the median would measure the machine's load too).
  const of = (round: number) => (repeats === 1 ? "" : ` (round ${round} of ${repeats})`);
  const defaultWorkers = os.availableParallelism();
  // Every module the rounds and the batch ETL load, compiled and cached; the file in the page cache.
  warmUp(() => step(`the batch ETL, our runner, ${defaultWorkers} workers`, "batch-etl", file, defaultWorkers));
  const rounds = inTurn(
    {
      handwritten: (r) => step(`hand-written loop${of(r)}`, "handwritten", file),
      native: (r) => step(`our direct runner, ${defaultWorkers} workers (the default)${of(r)}`, "native", file),
      native_1_worker: (r) => step(`our direct runner, 1 worker${of(r)}`, "native-workers", file, 1),
      ...(skipSdk ? {} : { sdk: (r: number) => step(`SDK direct runner${of(r)}`, "sdk", file) }),
      handwritten_warm: (r) => step(`hand-written loop, warm${of(r)}`, "handwritten-warm", file),
      native_warm: (r) => step(`our direct runner, ${defaultWorkers} workers, warm${of(r)}`, "native-warm", file),
      ...(skipSdk ? {} : { sdk_warm: (r: number) => step(`SDK direct runner, warm${of(r)}`, "sdk-warm", file) }),
    },
    repeats,
  );
  const handwritten = fastest(rounds.handwritten);
  const native = fastest(rounds.native);
  const nativeOneWorker = fastest(rounds.native_1_worker);
  const sdk = rounds.sdk && fastest(rounds.sdk);
  const warmHandwritten = fastest(rounds.handwritten_warm);
  const warmNative = fastest(rounds.native_warm);
  const warmSdk = rounds.sdk_warm && fastest(rounds.sdk_warm);
  const batchEtlAt = Object.fromEntries(BATCH_ETL_WORKERS.map((w) => [w, step(`the batch ETL, our runner, ${w} worker(s)`, "batch-etl", file, w)]));
  const batchEtl = batchEtlAt[defaultWorkers] ?? step(`the batch ETL, our runner, ${defaultWorkers} workers (the default)`, "batch-etl", file, defaultWorkers);
  const mapNative = step(`map chain, ${mapElements} elements, our runner`, "map-native", mapElements);
  const mapSdk = skipSdk ? undefined : step(`map chain, ${mapElements} elements, SDK runner`, "map-sdk", mapElements);

  const expected = revenueTable(handwritten);
  const results = [...Object.values(rounds).flat(), batchEtl, ...Object.values(batchEtlAt)];
  if (!results.every((m) => agree(revenueTable(m), expected))) {
    throw new Error(`variants disagree on revenue per category: ${JSON.stringify(results.map(revenueTable))} vs ${JSON.stringify(expected)}`);
  }
  if (JSON.stringify(mapNative.result) !== JSON.stringify([mapElements])) throw new Error(`map chain counted ${JSON.stringify(mapNative.result)}`);

  const leastCpu = (runs: Measurement[]) => Math.min(...runs.map((m) => m.cpu_seconds));
  const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
  /** One figure of every run, in the order taken, per variant. */
  const perRound = (pick: (m: Measurement) => number | null) => Object.fromEntries(Object.entries(rounds).map(([name, runs]) => [name, runs.map(pick)]));
  const report = {
    rows,
    native_s: round(native.seconds),
    sdk_s: sdk ? round(sdk.seconds) : null,
    handwritten_s: round(handwritten.seconds),
    native_rss_mb: round(native.peak_rss_mb, 0),
    sdk_rss_mb: sdk ? round(sdk.peak_rss_mb, 0) : null,
    handwritten_rss_mb: round(handwritten.peak_rss_mb, 0),
    speedup_vs_sdk: sdk ? round(sdk.seconds / native.seconds, 2) : null,
    native_over_handwritten: round(native.seconds / handwritten.seconds, 2),
    native_workers: defaultWorkers,
    warm_native_s: round(warmNative.seconds),
    warm_sdk_s: warmSdk ? round(warmSdk.seconds) : null,
    warm_handwritten_s: round(warmHandwritten.seconds),
    warm_speedup_vs_sdk: warmSdk ? round(warmSdk.seconds / warmNative.seconds, 2) : null,
    warm_native_over_handwritten: round(warmNative.seconds / warmHandwritten.seconds, 2),
    native_1_worker_s: round(nativeOneWorker.seconds),
    native_1_worker_cpu_s: round(nativeOneWorker.cpu_seconds),
    native_1_worker_over_handwritten: round(nativeOneWorker.seconds / handwritten.seconds, 2),
    speedup_vs_sdk_1_worker: sdk ? round(sdk.seconds / nativeOneWorker.seconds, 2) : null,
    handwritten_cpu_s: round(handwritten.cpu_seconds),
    sdk_cpu_s: sdk ? round(sdk.cpu_seconds) : null,
    // The least CPU each needed over its rounds, all threads: under load, elapsed seconds measure the
    // machine (load 7–9 doubled native's), CPU seconds much less — the ratio the code can be held to then.
    speedup_vs_sdk_cpu: rounds.sdk ? round(leastCpu(rounds.sdk) / leastCpu(rounds.native), 2) : null,
    speedup_vs_sdk_1_worker_cpu: rounds.sdk ? round(leastCpu(rounds.sdk) / leastCpu(rounds.native_1_worker), 2) : null,
    native_1_worker_cpu_over_handwritten: round(leastCpu(rounds.native_1_worker) / leastCpu(rounds.handwritten), 2),
    repeats,
    // Every run, in the order taken, and its CPU seconds (all threads): the fastest counts above.
    rounds_s: perRound((m) => round(m.seconds)),
    rounds_cpu_s: perRound((m) => round(m.cpu_seconds)),
    rounds_steal_s: perRound((m) => m.steal_seconds),
    steal_s: stealSince(stealAtStart),
    rounds_spread: Object.fromEntries(Object.entries(rounds).map(([name, runs]) => [name, round(spread(runs), 2)])),
    batch_etl_s: round(batchEtl.seconds),
    batch_etl_rss_mb: round(batchEtl.peak_rss_mb, 0),
    batch_etl_over_native: round(batchEtl.seconds / native.seconds, 2),
    batch_etl_workers: defaultWorkers,
    batch_etl_s_by_workers: Object.fromEntries(BATCH_ETL_WORKERS.map((w) => [w, round(batchEtlAt[w].seconds)])),
    batch_etl_rss_mb_by_workers: Object.fromEntries(BATCH_ETL_WORKERS.map((w) => [w, round(batchEtlAt[w].peak_rss_mb, 0)])),
    // CPU time moves less than elapsed time when other work shares the machine.
    native_cpu_s: round(native.cpu_seconds),
    batch_etl_cpu_s: round(batchEtl.cpu_seconds),
    batch_etl_cpu_over_native: round(batchEtl.cpu_seconds / native.cpu_seconds, 2),
    map_chain_elements: mapElements,
    map_chain_native_elements_per_s: Math.round(mapElements / mapNative.seconds),
    map_chain_sdk_elements_per_s: mapSdk ? Math.round(mapElements / mapSdk.seconds) : null,
    load_average_1m: round(loadAtStart, 2),
    load_average_1m_end: round(os.loadavg()[0], 2),
  };
  process.stdout.write(JSON.stringify(report) + "\n");
}

runBench(BENCH, main);
