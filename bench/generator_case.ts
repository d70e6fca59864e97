/**
 * One run of the generator benchmark, alone in its process so that its peak memory is its own:
 * starts the threads and has each make a file of each table and a second transaction file (not
 * timed), then times `generate` writing to a directory. Prints one JSON line: { seconds,
 * cpu_seconds, main_thread_busy_seconds, startup_seconds, peak_rss_mb, rows, bytes, all_rows,
 * all_bytes, failed, thread_cpu_seconds }. `cpu_seconds` is the whole process's (every
 * thread) over the timed run; `main_thread_busy_seconds` the time the main thread's event loop was
 * not idle (storing files, receiving them): an upper bound on its share. `thread_cpu_seconds` splits
 * the timed run's CPU by thread (Linux: /proc/self/task; absent elsewhere): the main thread, each
 * worker thread, and the others together (V8's platform threads: garbage collection and optimizing
 * compilers; libuv's: file writes).
 *
 *   node -r ./scripts/register.js bench/generator_case.ts <workers> <rows> <parquet|csv|jsonl> <out-dir>
 */
import { generate, GENERATOR_TASK_MODULE, startGeneratorPool } from "../ingest/generator/generate";
import type { FileTask } from "../ingest/generator/file_task";
import type { FileFormat } from "../ingest/generator/file_format";
import * as fs from "fs";
import { performance } from "perf_hooks";

const ROWS_PER_FILE = 268_000;

async function main(): Promise<void> {
  const [workersArg, rowsArg, format, out] = process.argv.slice(2);
  const workers = Number(workersArg);
  const world = { seed: 3, rows: Number(rowsArg), customers: 100_000, devices: 150_000, startMs: Date.UTC(2024, 0, 1), endMs: Date.UTC(2025, 0, 1), fraudProbability: 0.02 };
  const encoding = { format: format as FileFormat, compression: format === "parquet" ? ("zstd" as const) : ("none" as const) };
  const startup = process.hrtime.bigint();
  const pool = startGeneratorPool(workers);
  try {
    // Every thread loads the modules and makes the files of a run's every kind before the clock
    // starts: V8 compiles the writer's hot WebAssembly functions again, optimized, in background
    // threads as they get hot, and the row loops as they run (ingest/generator/README.md, "Where the
    // CPU goes"). Once per process, whatever the run's size; inside the timed run it ran on the idle
    // second core with one thread and took CPU from the other thread with two. One file left two
    // rounds of it in: the row loop is optimized again in a thread's second file (row numbers from
    // 271,182 on overflow the int32 it was compiled for), and the customers' and devices' code and
    // writer paths were first compiled at the end of the timed run.
    const warmUp: FileTask[] = [
      { world, table: "transactions", first: 0, rows: ROWS_PER_FILE, encoding },
      { world, table: "transactions", first: ROWS_PER_FILE, rows: ROWS_PER_FILE, encoding },
      { world, table: "customers", first: 0, rows: world.customers, encoding },
      { world, table: "devices", first: 0, rows: world.devices, encoding },
    ];
    for (const task of warmUp) await Promise.all(Array.from({ length: workers }, () => pool.run(GENERATOR_TASK_MODULE, "encodeFile", task)));
    const threadsStart = threadCpuSeconds();
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    const loopStart = performance.eventLoopUtilization();
    const manifest = await generate({ world, encoding, rowsPerFile: ROWS_PER_FILE, out, workers, pool });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpuStart);
    const loop = performance.eventLoopUtilization(loopStart);
    const threadsEnd = threadCpuSeconds();
    const t = manifest.totals.transactions;
    const all = manifest.files.reduce((sum, f) => ({ rows: sum.rows + f.rows, bytes: sum.bytes + f.bytes }), { rows: 0, bytes: 0 });
    const result = {
      seconds,
      cpu_seconds: (cpu.user + cpu.system) / 1e6,
      main_thread_busy_seconds: loop.active / 1000,
      startup_seconds: Number(start - startup) / 1e9,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      rows: t.rows,
      bytes: t.bytes,
      all_rows: all.rows,
      all_bytes: all.bytes,
      failed: manifest.failed.length,
      thread_cpu_seconds: threadsStart && threadsEnd && threadSplit(threadsStart, threadsEnd, workers),
    };
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    await pool.destroy();
  }
}

/** CPU seconds (user + system) of each live thread of this process, by thread id; undefined without /proc. */
function threadCpuSeconds(): Map<string, number> | undefined {
  if (!fs.existsSync("/proc/self/task")) return undefined;
  const threads = new Map<string, number>();
  for (const tid of fs.readdirSync("/proc/self/task")) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      // After "pid (comm) ": state is field 3, utime and stime fields 14 and 15, in clock ticks (USER_HZ, 100).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      threads.set(tid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/**
 * The CPU each thread used between two readings: the main thread (its id is the process's), the
 * worker threads (Node 20 does not name threads: they are the `workers` busiest, each using many
 * times what any other does), and the rest together.
 */
function threadSplit(before: Map<string, number>, after: Map<string, number>, workers: number): { main: number; workers: number[]; others: number } {
  const round = (x: number) => Number(x.toFixed(2));
  const used = [...after].map(([tid, cpu]) => ({ tid, cpu: cpu - (before.get(tid) ?? 0) }));
  const main = used.find((thread) => thread.tid === String(process.pid))?.cpu ?? 0;
  const rest = used.filter((thread) => thread.tid !== String(process.pid)).sort((a, b) => b.cpu - a.cpu);
  const others = rest.slice(workers).reduce((sum, thread) => sum + thread.cpu, 0);
  return { main: round(main), workers: rest.slice(0, workers).map((thread) => round(thread.cpu)), others: round(others) };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
