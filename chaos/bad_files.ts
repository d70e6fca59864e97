/**
 * The bad-files probe: the batch pipeline's command line (`npm run pipeline -- --pipeline=batch`)
 * on files an outside tester broke — a 50 MB line, NUL bytes, mixed CRLF / LF, UTF-8 cut at the end
 * of the file, a gzip file (named .gz, and misnamed .csv), an empty file, a glob matching nothing.
 * Each case must end in dead letters with a reason or a clear one-line error — never a stack trace,
 * never a hang — and the 50 MB line must cost memory bounded by the line limit, not by the line.
 * Needs no emulator.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gzipSync } from "zlib";
import { transactionLine, CSV_HEADER } from "../fixtures/encoding";
import { transactionRows } from "../fixtures/transaction_rows";

const ROOT = path.resolve(__dirname, "..");

/** One case: its files, and what the run must show. */
interface BadFileCase {
  name: string;
  /** File name → content. */
  files: Record<string, Buffer | string>;
  /** The input flag's value (a file or a glob in the case's folder). */
  input: string;
  expect: { exitCode: number; valid?: number; deadLetters?: number; message?: RegExp };
}

/** What one case did. */
interface CaseResult {
  name: string;
  pass: boolean;
  exitCode: number | null;
  valid?: number;
  deadLetters?: number;
  peakRssMb: number;
  stack: boolean;
  seconds: number;
  said?: string;
}

function cases(): BadFileCase[] {
  const lines = [...transactionRows({ rows: 20, seed: 7 })].map((row) => transactionLine(row, "csv"));
  const good = [CSV_HEADER, ...lines].join("\n") + "\n";
  const cutCharacter = Buffer.from("é", "utf8").subarray(0, 1);
  return [
    { name: "a 50 MB line", files: { "big.csv": `${CSV_HEADER}\n${lines[0]}\n${"x".repeat(50 * 2 ** 20)}\n${lines[1]}\n` }, input: "big.csv", expect: { exitCode: 0, valid: 2, deadLetters: 1 } },
    { name: "NUL bytes", files: { "nul.csv": `${CSV_HEADER}\n${lines[0].replace(",", "\u0000,")}\n${lines[1]}\n` }, input: "nul.csv", expect: { exitCode: 0, valid: 1, deadLetters: 1 } },
    { name: "mixed CRLF and LF", files: { "mixed.csv": [CSV_HEADER, ...lines.slice(0, 4)].map((l, i) => l + (i % 2 ? "\r\n" : "\n")).join("") }, input: "mixed.csv", expect: { exitCode: 0, valid: 4, deadLetters: 0 } },
    {
      name: "UTF-8 cut at the end of the file",
      files: { "cut.csv": Buffer.concat([Buffer.from(`${CSV_HEADER}\n${lines[0]}\n${lines[1]}`), cutCharacter]) },
      input: "cut.csv",
      expect: { exitCode: 0, valid: 1, deadLetters: 1 },
    },
    { name: "gzip, named .gz", files: { "orders.csv.gz": gzipSync(good) }, input: "orders.csv.gz", expect: { exitCode: 0, valid: 20, deadLetters: 0 } },
    { name: "gzip, named .csv", files: { "orders.csv": gzipSync(good) }, input: "orders.csv", expect: { exitCode: 1, message: /is gzip-compressed: name it with a \.gz suffix/ } },
    { name: "an empty file", files: { "empty.csv": "" }, input: "empty.csv", expect: { exitCode: 0, valid: 0, deadLetters: 0 } },
    { name: "a glob matching nothing", files: {}, input: "*.parquet", expect: { exitCode: 2, message: /matches no file/ } },
  ];
}

/** Runs every case; passes when every case does. */
export async function badFilesProbe(): Promise<{ probe: "bad-files"; pass: boolean; cases: CaseResult[] }> {
  const results: CaseResult[] = [];
  for (const c of cases()) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bad-files-"));
    try {
      for (const [name, content] of Object.entries(c.files)) fs.writeFileSync(path.join(dir, name), content);
      results.push(await runCase(c, dir));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { probe: "bad-files", pass: results.every((r) => r.pass), cases: results };
}

async function runCase(c: BadFileCase, dir: string): Promise<CaseResult> {
  const started = Date.now();
  const output = path.join(dir, "out");
  const args = ["-f", "%M", process.execPath, "--enable-source-maps", "-r", "./scripts/register.js", "pipelines/main.ts", "--pipeline=batch", `--input=${path.join(dir, c.input)}`, `--output=${output}`];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile("/usr/bin/time", args, { cwd: ROOT, timeout: 120_000, maxBuffer: 16 * 2 ** 20 }, (error, out, err) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout: out, stderr: err }),
    );
  });
  const errLines = stderr.trimEnd().split("\n");
  const peakRssMb = Math.round(Number(errLines.pop()) / 1024);
  const said = errLines.join("\n");
  const counted = /records: (\d+) read, (\d+) valid, (\d+) dead letters/.exec(stdout);
  const valid = counted ? Number(counted[2]) : undefined;
  const deadLetters = counted ? Number(counted[3]) : undefined;
  const stack = /\n\s+at /.test(said);
  const pass =
    code === c.expect.exitCode &&
    !stack &&
    (c.expect.valid === undefined || valid === c.expect.valid) &&
    (c.expect.deadLetters === undefined || deadLetters === c.expect.deadLetters) &&
    (c.expect.message === undefined || c.expect.message.test(said));
  return { name: c.name, pass, exitCode: code, valid, deadLetters, peakRssMb, stack, seconds: Math.round((Date.now() - started) / 100) / 10, said: pass ? undefined : said.slice(0, 500) };
}
