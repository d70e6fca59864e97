/**
 * `npm run bench:fn-api`: the bench:runner workload (read → parse → group by category → sum over a
 * generated CSV, 200 000 rows by default, `--rows N`) on our runner in process and with its stages in
 * SDK worker processes over the Fn API (environment "process", 1 and 2 workers), side by side in one
 * run. Each variant runs in its own process; they must agree on the result. Prints one JSON line:
 * seconds per variant, the cost of the Fn API over in-process, and the workers' start-up alone
 * (a job of one element), so what is per-element encoding and what is fixed start-up shows.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { writeTransactions } from "../fixtures/generate";
import type { DirectRunnerOptions } from "../runners/direct";
import { runWorkload } from "./fn_api_workload";
import { runBench, wholeNumberFlag, type Bench, type BenchFlags } from "./command";
import { NODE_FLAGS } from "./measure";

const ROOT = path.resolve(__dirname, "..");

/** One variant in this process: runs the workload, prints {seconds, result}. */
async function runVariant(file: string, options: DirectRunnerOptions): Promise<void> {
  process.stdout.write(JSON.stringify(await runWorkload(file, options)) + "\n");
}

function measure(file: string, options: DirectRunnerOptions): { seconds: number; result: Record<string, number> } {
  const out = execFileSync(
    process.execPath,
    [...NODE_FLAGS, "-r", path.join(ROOT, "scripts/register.js"), __filename, "--variant", JSON.stringify(options), "--file", file],
    { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 15 * 60 * 1000 },
  );
  return JSON.parse(out.trim().split("\n").pop()!);
}

const BENCH: Bench = {
  name: "bench:fn-api",
  summary: "The bench:runner workload on our runner in process and with its stages in SDK worker processes\nover the Fn API (1 and 2 workers); one JSON line on stdout (bench/README.md).",
  flags: [
    { name: "rows", type: "string", value: "N", default: "200000", help: "rows of the generated CSV (cached in .bench/)" },
    { name: "variant", type: "string", value: "JSON", help: "(internal) run one variant, in the process this bench starts for it" },
    { name: "file", type: "string", value: "FILE", help: "(internal) the variant's input" },
  ],
};

async function main(flags: BenchFlags): Promise<void> {
  if (typeof flags.variant === "string") return runVariant(flags.file as string, JSON.parse(flags.variant));
  const rows = wholeNumberFlag(flags, "rows");
  const file = path.join(ROOT, ".bench", `transactions-${rows}.csv`);
  if (!fs.existsSync(file)) await writeTransactions({ rows, seed: 42, format: "csv", out: file });
  const tiny = path.join(ROOT, ".bench", "transactions-1.csv");
  if (!fs.existsSync(tiny)) await writeTransactions({ rows: 1, seed: 42, format: "csv", out: tiny });
  const variants: [string, DirectRunnerOptions][] = [
    ["in_process", {}],
    ["process_1_worker", { environment: "process", workers: 1 }],
    ["process_2_workers", { environment: "process", workers: 2 }],
  ];
  const report: Record<string, unknown> = { rows };
  let reference: string | undefined;
  for (const [name, options] of variants) {
    process.stderr.write(`${name}…`);
    const m = measure(file, options);
    process.stderr.write(` ${m.seconds.toFixed(2)} s\n`);
    const result = JSON.stringify(m.result);
    if (reference !== undefined && result !== reference) throw new Error(`${name} disagrees: ${result} vs ${reference}`);
    reference = result;
    report[`${name}_s`] = Math.round(m.seconds * 1000) / 1000;
  }
  for (const [name, options] of variants.slice(1)) {
    report[`${name}_startup_s`] = Math.round(measure(tiny, options).seconds * 1000) / 1000;
  }
  const base = report.in_process_s as number;
  report.process_1_worker_over_in_process = Math.round(((report.process_1_worker_s as number) / base) * 100) / 100;
  report.process_2_workers_over_in_process = Math.round(((report.process_2_workers_s as number) / base) * 100) / 100;
  report.process_1_worker_per_row_us = Math.round((((report.process_1_worker_s as number) - (report.process_1_worker_startup_s as number) - base) / rows) * 1e6 * 10) / 10;
  process.stdout.write(JSON.stringify(report) + "\n");
}

runBench(BENCH, main);
