/**
 * `npm run bench:generator [-- --rows N]`: the fraud-transaction generator writing Parquet + zstd
 * with 1 and 2 worker threads (each run in its own process: `generator_case.ts`), and the bytes per
 * row of Parquet against CSV and JSON lines (a smaller run each). Files go to a temporary
 * directory, removed after each run. Prints one JSON line.
 *
 * MB/s counts the bytes of the transaction files written (compressed Parquet); rows/s the
 * transactions. The customer and device files (100,000 and 150,000 rows) are made in the same
 * run and not counted there. On a shared machine the wall-clock figures depend on how much CPU the
 * others leave: `cores_used_*` (process CPU over wall time) says how much the run got, and
 * `cpu_us_per_row_*` (every row made, all threads) and `parquet_mb_per_cpu_s` what the code costs
 * whatever the load. `main_thread_busy_share_2_workers` is the share of the run the main thread
 * was not idle. `thread_cpu_s_*` splits each run's CPU seconds by thread: the main thread, each
 * worker thread, and the others (V8's garbage collection and compilers, libuv's file writes) — with
 * two workers on two cores, whatever is not a worker's takes CPU from one. `peak_rss_mb` is in MiB
 * (maxRSS / 1024).
 *
 * The Parquet runs with 1 and 2 workers alternate, `--repeats` times (3 by default), and each
 * worker count counts by its fastest run, as in `bench:workers`: other engineers' work moves this
 * machine's speed within minutes, and one run of each, one after the other, gave speedups of 1.76
 * to 1.88 and 44.7 to 50.3 MB/s for the same code; noise only ever adds time. Every run's seconds
 * are in the line (`rounds_s`), and `peak_rss_mb_*` is the largest of a worker count's runs.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runBench, wholeNumberFlag, type Bench, type BenchFlags } from "./command";
import { fastest, REPEATS_FLAG } from "./repeats";

const ROOT = path.join(__dirname, "..");

interface CaseResult {
  seconds: number;
  cpu_seconds: number;
  main_thread_busy_seconds: number;
  startup_seconds: number;
  peak_rss_mb: number;
  rows: number;
  bytes: number;
  all_rows: number;
  all_bytes: number;
  failed: number;
  /** CPU seconds of the timed run by thread (Linux only). */
  thread_cpu_seconds?: { main: number; workers: number[]; others: number };
}

function runCase(workers: number, rows: number, format: string): CaseResult {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-generator-"));
  try {
    const stdout = execFileSync(process.execPath, ["--enable-source-maps", path.join(ROOT, "scripts/run_compiled.js"), path.join(ROOT, "bench/generator_case.ts"), String(workers), String(rows), format, out], {
      encoding: "utf8",
      // As `npm run generate` runs (package.json): see ingest/generator/README.md, "Threads, memory, storage".
      env: { ...process.env, MALLOC_ARENA_MAX: "2" },
      stdio: ["ignore", "pipe", "inherit"],
      timeout: 30 * 60_000,
    });
    const result = JSON.parse(stdout.trim().split("\n").pop()!) as CaseResult;
    if (result.failed > 0) throw new Error(`${result.failed} files were not written`);
    process.stderr.write(`${format}, ${workers} worker(s), ${rows} rows: ${result.seconds.toFixed(2)} s, ${(result.bytes / 1e6).toFixed(1)} MB, peak RSS ${result.peak_rss_mb.toFixed(0)} MB\n`);
    return result;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

const BENCH: Bench = {
  name: "bench:generator",
  summary: "The fraud-transaction generator writing Parquet + zstd with 1 and 2 worker threads (MB/s, rows/s,\npeak RSS, speedup), and the bytes per row of Parquet against CSV and JSON lines; one JSON line on\nstdout (bench/README.md).",
  flags: [{ name: "rows", type: "string", value: "N", default: "2144000", help: "transactions of each Parquet run (8 files of 268,000)" }, REPEATS_FLAG],
};

function main(flags: BenchFlags): void {
  const rows = wholeNumberFlag(flags, "rows");
  const repeats = wholeNumberFlag(flags, "repeats");
  const textRows = Math.min(rows, 268_000);
  const rounds: Record<1 | 2, CaseResult[]> = { 1: [], 2: [] };
  for (let round = 0; round < repeats; round++) for (const workers of [1, 2] as const) rounds[workers].push(runCase(workers, rows, "parquet"));
  const one = fastest(rounds[1]);
  const two = fastest(rounds[2]);
  const peakRss = (runs: CaseResult[]) => Math.max(...runs.map((run) => run.peak_rss_mb));
  const csv = runCase(1, textRows, "csv");
  const jsonl = runCase(1, textRows, "jsonl");
  const mbPerS = (r: CaseResult) => r.bytes / 1e6 / r.seconds;
  const rowsPerS = (r: CaseResult) => r.rows / r.seconds;
  const bytesPerRow = (r: CaseResult) => r.bytes / r.rows;
  // Every row made (customers and devices too): the CPU is the whole process's.
  const cpuPerRow = (r: CaseResult) => (r.cpu_seconds * 1e6) / r.all_rows;
  const round = (x: number, digits = 1) => Number(x.toFixed(digits));
  process.stdout.write(
    JSON.stringify({
      rows,
      parquet_zstd_mb_per_s: round(mbPerS(two)),
      parquet_zstd_rows_per_s: Math.round(rowsPerS(two)),
      workers_1_mb_per_s: round(mbPerS(one)),
      workers_1_rows_per_s: Math.round(rowsPerS(one)),
      speedup_2_workers: round(rowsPerS(two) / rowsPerS(one), 2),
      cores_used_1_worker: round(one.cpu_seconds / one.seconds, 2),
      cores_used_2_workers: round(two.cpu_seconds / two.seconds, 2),
      cpu_us_per_row_1_worker: round(cpuPerRow(one), 2),
      cpu_us_per_row_2_workers: round(cpuPerRow(two), 2),
      parquet_mb_per_cpu_s: round(two.all_bytes / 1e6 / two.cpu_seconds),
      main_thread_busy_share_2_workers: round(two.main_thread_busy_seconds / two.seconds, 3),
      thread_cpu_s_1_worker: one.thread_cpu_seconds,
      thread_cpu_s_2_workers: two.thread_cpu_seconds,
      peak_rss_mb: Math.round(Math.max(peakRss(rounds[1]), peakRss(rounds[2]))),
      peak_rss_mb_1_worker: Math.round(peakRss(rounds[1])),
      peak_rss_mb_2_workers: Math.round(peakRss(rounds[2])),
      thread_startup_s: round(two.startup_seconds, 2),
      bytes_per_row_parquet_zstd: round(bytesPerRow(two)),
      bytes_per_row_csv: round(bytesPerRow(csv)),
      bytes_per_row_jsonl: round(bytesPerRow(jsonl)),
      csv_per_parquet: round(bytesPerRow(csv) / bytesPerRow(two), 2),
      jsonl_per_parquet: round(bytesPerRow(jsonl) / bytesPerRow(two), 2),
      csv_equivalent_mb_per_s: round((rowsPerS(two) * bytesPerRow(csv)) / 1e6),
      repeats,
      rounds_s: { workers_1: rounds[1].map((run) => round(run.seconds, 2)), workers_2: rounds[2].map((run) => round(run.seconds, 2)) },
      load_average_1m: round(os.loadavg()[0], 2),
    }) + "\n",
  );
}

runBench(BENCH, main);
