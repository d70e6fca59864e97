/**
 * The bad-files probe: the batch pipeline's command line (`npm run pipeline -- --pipeline=batch`)
 * on files an outside tester broke — a 50 MB line, NUL bytes, mixed CRLF / LF, UTF-8 cut at the end
 * of the file, a gzip file (named .gz, and misnamed .csv), an empty file, a glob matching nothing.
 * Each case must end in dead letters with a reason or a clear one-line error (exit 2) — never a stack
 * trace, never a hang — and the 50 MB line must cost memory bounded by the line limit (the default,
 * and `--max-line-bytes`), not by the line.
 * Needs no emulator.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gzipSync } from "zlib";
import { transactionLine, CSV_HEADER } from "../fixtures/encoding";
import { transactionRows } from "../fixtures/transaction_rows";
import { DEFAULT_MAX_LINE_BYTES } from "../io/files/checked_lines";

const ROOT = path.resolve(__dirname, "..");
/** What the heap may grow by beyond a line's bytes. */
const RSS_SLACK_MB = 64;

/** One case: its files, and what the run must show. */
interface BadFileCase {
  name: string;
  /** File name → content. */
  files: Record<string, Buffer | string>;
  /** The input flag's value (a file or a glob in the case's folder). */
  input: string;
  /** More flags of the command line. */
  flags?: string[];
  expect: { exitCode: number; valid?: number; deadLetters?: number; message?: RegExp; maxLineBytes?: number };
}

/** What one case did. */
interface CaseResult {
  name: string;
  pass: boolean;
  exitCode: number | null;
  valid?: number;
  deadLetters?: number;
  peakRssMb: number;
  /** Above the smallest peak of the run (the command's own baseline). */
  extraRssMb?: number;
  stack: boolean;
  seconds: number;
  said?: string;
}

/** Which cases, and how long the long line is. */
export interface BadFilesOptions {
  /** The long line's size, MB (default 50). */
  lineMb?: number;
  /** Only the cases whose name matches (default: all). */
  only?: RegExp;
}

function cases(lineMb: number): BadFileCase[] {
  const lines = [...transactionRows({ rows: 20, seed: 7 })].map((row) => transactionLine(row, "csv"));
  const good = [CSV_HEADER, ...lines].join("\n") + "\n";
  const cutCharacter = Buffer.from("é", "utf8").subarray(0, 1);
  const bigLine = `${CSV_HEADER}\n${lines[0]}\n${"x".repeat(lineMb * 2 ** 20)}\n${lines[1]}\n`;
  return [
    { name: `a ${lineMb} MB line`, files: { "big.csv": bigLine }, input: "big.csv", expect: { exitCode: 0, valid: 2, deadLetters: 1, maxLineBytes: DEFAULT_MAX_LINE_BYTES } },
    {
      name: `a ${lineMb} MB line, --max-line-bytes=1 MiB`,
      files: { "big.csv": bigLine },
      input: "big.csv",
      flags: [`--max-line-bytes=${2 ** 20}`],
      expect: { exitCode: 0, valid: 2, deadLetters: 1, maxLineBytes: 2 ** 20 },
    },
    { name: "NUL bytes", files: { "nul.csv": `${CSV_HEADER}\n${lines[0].replace(",", "\u0000,")}\n${lines[1]}\n` }, input: "nul.csv", expect: { exitCode: 0, valid: 1, deadLetters: 1 } },
    { name: "mixed CRLF and LF", files: { "mixed.csv": [CSV_HEADER, ...lines.slice(0, 4)].map((l, i) => l + (i % 2 ? "\r\n" : "\n")).join("") }, input: "mixed.csv", expect: { exitCode: 0, valid: 4, deadLetters: 0 } },
    {
      name: "UTF-8 cut at the end of the file",
      files: { "cut.csv": Buffer.concat([Buffer.from(`${CSV_HEADER}\n${lines[0]}\n${lines[1]}`), cutCharacter]) },
      input: "cut.csv",
      expect: { exitCode: 0, valid: 1, deadLetters: 1 },
    },
    { name: "gzip, named .gz", files: { "orders.csv.gz": gzipSync(good) }, input: "orders.csv.gz", expect: { exitCode: 0, valid: 20, deadLetters: 0 } },
    { name: "gzip, named .csv", files: { "orders.csv": gzipSync(good) }, input: "orders.csv", expect: { exitCode: 2, message: /^error: input '.*orders\.csv' is gzip-compressed: name it with a \.gz suffix/ } },
    { name: "an empty file", files: { "empty.csv": "" }, input: "empty.csv", expect: { exitCode: 0, valid: 0, deadLetters: 0 } },
    { name: "a glob matching nothing", files: {}, input: "*.parquet", expect: { exitCode: 2, message: /^error: file pattern '.*\*\.parquet' matches no file$/ } },
  ];
}

/** Runs every case; passes when every case does. */
export async function badFilesProbe(options: BadFilesOptions = {}): Promise<{ probe: "bad-files"; pass: boolean; cases: CaseResult[] }> {
  const results: CaseResult[] = [];
  const all = cases(options.lineMb ?? 50).filter((c) => options.only?.test(c.name) ?? true);
  for (const c of all) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bad-files-"));
    try {
      for (const [name, content] of Object.entries(c.files)) fs.writeFileSync(path.join(dir, name), content);
      results.push(await runCase(c, dir));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  // A line costs at most its limit about twice over (io/files/checked_lines.ts): judged against the
  // command's own baseline, with room for the heap's growth.
  const baseline = Math.min(...results.map((r) => r.peakRssMb));
  for (const [i, c] of all.entries()) {
    if (c.expect.maxLineBytes === undefined) continue;
    const result = results[i];
    result.extraRssMb = result.peakRssMb - baseline;
    result.pass &&= result.extraRssMb <= (4 * c.expect.maxLineBytes) / 2 ** 20 + RSS_SLACK_MB;
  }
  return { probe: "bad-files", pass: results.every((r) => r.pass), cases: results };
}

async function runCase(c: BadFileCase, dir: string): Promise<CaseResult> {
  const started = Date.now();
  const output = path.join(dir, "out");
  const args = ["-f", "%M", process.execPath, "--enable-source-maps", "-r", "./scripts/register.js", "pipelines/main.ts", "--pipeline=batch", `--input=${path.join(dir, c.input)}`, `--output=${output}`, ...(c.flags ?? [])];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile("/usr/bin/time", args, { cwd: ROOT, timeout: 120_000, maxBuffer: 16 * 2 ** 20 }, (error, out, err) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout: out, stderr: err }),
    );
  });
  const errLines = stderr.trimEnd().split("\n");
  const peakRssMb = Math.round(Number(errLines.pop()) / 1024);
  const said = errLines.filter((line) => !line.startsWith("Command exited with non-zero status")).join("\n");
  const counted = /records: (\d+) read, (\d+) valid, (\d+) dead letters/.exec(stdout);
  const valid = counted ? Number(counted[2]) : undefined;
  const deadLetters = counted ? Number(counted[3]) : undefined;
  const stack = /\n\s+at /.test(said);
  const pass =
    code === c.expect.exitCode &&
    !stack &&
    (c.expect.valid === undefined || valid === c.expect.valid) &&
    (c.expect.deadLetters === undefined || deadLetters === c.expect.deadLetters) &&
    (c.expect.message === undefined || c.expect.message.test(said)) &&
    // A mistake is one line.
    (c.expect.exitCode !== 2 || !said.includes("\n"));
  return { name: c.name, pass, exitCode: code, valid, deadLetters, peakRssMb, stack, seconds: Math.round((Date.now() - started) / 100) / 10, said: pass ? undefined : said.slice(0, 500) };
}
