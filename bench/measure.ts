/**
 * Running one benchmark case (`runner_case.ts`) in a process of its own, so its peak memory is its
 * own (every thread of the process counted), and comparing the revenue tables variants report.
 */
import { execFile, execFileSync } from "child_process";
import * as path from "path";
import { promisify } from "util";

/** What one case reports. */
export interface Measurement {
  seconds: number;
  /** CPU time of the process's threads over the same part. */
  cpu_seconds: number;
  /** CPU time the hypervisor gave others over the same part, every CPU of the machine (null where unknown). */
  steal_seconds: number | null;
  peak_rss_mb: number;
  result: unknown;
}

export const ROOT = path.resolve(__dirname, "..");

/**
 * The same V8 settings for every variant; `npm run pipeline` runs with them too. No allocation-site
 * pretenuring: when a scavenge happens to land while a chunk's elements are all alive, V8 may decide
 * (by chance: about 3 runs in 34 here on a quiet machine, more often beside other work) that their
 * allocation sites make long-lived objects and allocate them in the old generation from then on;
 * dead there, they keep the young objects they point to alive through scavenges (~5 MB survivors
 * each instead of ~1 MB), so the old generation fills and is marked again and again: the same run
 * took ~2x the time, ~2.5x the CPU and ~1.8x the memory (`--trace-pretenuring` shows "=> tenure"
 * decisions in the slow runs only).
 *
 * No heap sizes: V8's flags apply to every thread of the process and override the limits the
 * runner gives its worker threads (runners/direct/execution/worker_pool.ts). `--max-semi-space-size=64`
 * (a young generation of 128 MB per thread, chosen when pretenuring made the runs bimodal) cost
 * 128 MB per thread and saved no CPU any more (1M rows, same minutes: the batch ETL 5.9 vs 6.0 CPU
 * s at 1 worker, `native` 1.94–2.04 vs 1.97–2.01): at 4 workers the batch ETL peaked at 1 034–1 067 MB.
 */
export const NODE_FLAGS = ["--no-allocation-site-pretenuring"];

const CASE_TIMEOUT_MS = 15 * 60 * 1000;

/** Runs `runner_case.ts <variant> <args…>` in a new process and returns its measurement. */
export function measure(variant: string, ...args: (string | number)[]): Measurement {
  const out = execFileSync(process.execPath, caseArgv(variant, args), { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: CASE_TIMEOUT_MS });
  return lastLine(out);
}

/**
 * Runs `copies` processes of `runner_case.ts <variant> <args…>` at once, each the whole case, and
 * returns their measurements: what the machine gives two independent copies of a job side by side
 * is the most two threads of one job could get from it.
 */
export async function measureSideBySide(copies: number, variant: string, ...args: (string | number)[]): Promise<Measurement[]> {
  const run = () => promisify(execFile)(process.execPath, caseArgv(variant, args), { cwd: ROOT, encoding: "utf8", timeout: CASE_TIMEOUT_MS });
  const outs = await Promise.all(Array.from({ length: copies }, run));
  return outs.map(({ stdout, stderr }) => {
    process.stderr.write(stderr);
    return lastLine(stdout);
  });
}

function caseArgv(variant: string, args: (string | number)[]): string[] {
  return [...NODE_FLAGS, "-r", path.join(ROOT, "scripts/register.js"), path.join(ROOT, "bench/runner_case.ts"), variant, ...args.map(String)];
}

function lastLine(out: string): Measurement {
  return JSON.parse(out.trim().split("\n").pop()!);
}

/** A measurement's revenue per category, from the pipeline's rows or the loop's table. */
export function revenueTable(m: Measurement): Record<string, number> {
  const rows = Array.isArray(m.result) ? (m.result as { key: string; revenue: number }[]) : null;
  return rows ? Object.fromEntries(rows.map((r) => [r.key, r.revenue])) : (m.result as Record<string, number>);
}

/** True when two revenue tables have the same categories and amounts. */
export function agree(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Math.abs(a[k] - b[k]) <= 1e-6 * Math.max(1, Math.abs(a[k])));
}
