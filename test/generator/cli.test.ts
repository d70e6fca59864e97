/**
 * `npm run generate` as a user meets it: usage mistakes are exit 2 with one line and the help, a
 * run prints what it wrote and its progress, a destination that cannot be written is exit 1
 * naming the files; and the progress line itself.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UsageError } from "../../cli/command_line";
import { parseGeneratorCommand } from "../../ingest/generator/options";
import { formatProgress, progressReporter } from "../../ingest/generator/progress";

const ROOT = path.join(__dirname, "..", "..");

function generateCommand(...args: string[]) {
  const run = spawnSync(process.execPath, ["-r", path.join(ROOT, "scripts/register.js"), path.join(ROOT, "ingest/generator/main.ts"), ...args], { encoding: "utf8", timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run generate", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "generate-cli-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [args, message] of [
    [["--format", "csv", "--compression", "zstd"], "--compression zstd: only Parquet files are compressed; csv is written as plain text"],
    [["--rows", "10", "--size", "1GB"], "give --rows or --size, not both"],
    [["--customers", "10", "--devices", "5"], "--devices must be a whole number from --customers (10) to 1000000000, got '5'"],
    [["--size", "lots"], "--size must be a size such as 500MB, 1GB or 2GiB, got 'lots'"],
    [["--start", "2024-02-30"], "--start must be a calendar day YYYY-MM-DD, got '2024-02-30'"],
    [["--fraud-prob", "0.5"], "--fraud-prob must be a number from 0 to 0.15, got '0.5'"],
    [["--colour", "red"], "Unknown option '--colour'"],
  ] as const) {
    it(`refuses ${args.join(" ")}, naming the flag and the reason`, () => {
      expect(() => parseGeneratorCommand([...args])).to.throw(UsageError, message);
    });
  }

  it("ends a usage mistake with exit 2 and one line, no stack", () => {
    const run = generateCommand("--workers", "0");
    expect(run.status).to.equal(2);
    expect(run.stderr.split("\n")[0]).to.equal("error: --workers must be a whole number from 1 to 256, got '0'");
    expect(run.stderr.trimEnd().split("\n")).to.have.length(1);
  });

  it("prints its help", () => {
    const run = generateCommand("--help");
    expect(run.status).to.equal(0);
    expect(run.stdout).to.include("--rows-per-file N").and.include("--gcs-endpoint URL").and.include("--verbose");
  });

  it("writes the files, says so, and ends its progress with the totals", () => {
    const out = path.join(dir, "run");
    const run = generateCommand("--rows", "500", "--customers", "10", "--devices", "12", "--out", out, "--workers", "1");
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^wrote 3 files to .*run: 500 transactions \([\d.]+ MB\), 10 customers, 12 devices in [\d.]+ s/);
    expect(run.stderr.trim().split("\n").pop()).to.match(/^100\.0% {2}files 3\/3 {2}rows 522\/522 /);
    expect(fs.readdirSync(out).sort()).to.deep.equal(["customers-00000.parquet", "devices-00000.parquet", "manifest.json", "transactions-00000.parquet"]);
  });

  it("refuses an --out it cannot write in before generating anything: exit 2, one line", () => {
    const blocker = path.join(dir, "a-file");
    fs.writeFileSync(blocker, "not a directory");
    const file = generateCommand("--rows", "10", "--out", blocker);
    expect(file.status, file.stderr).to.equal(2);
    expect(file.stderr.trimEnd().split("\n")).to.deep.equal([`error: --out ${blocker} is a file: name a folder (created if missing) for the files and manifest.json`]);
    const under = generateCommand("--rows", "10", "--out", path.join(blocker, "out"));
    expect(under.status, under.stderr).to.equal(2);
    expect(under.stderr.trimEnd().split("\n")).to.have.length(1);
    expect(under.stderr).to.match(/^error: --out .*a-file\/out cannot be written \(ENOTDIR: .*\): name a folder you can write in\n$/);
  });

  it("exits 1 naming every file it could not store", () => {
    const out = path.join(dir, "taken");
    const names = ["manifest.json", "transactions-00000.parquet", "customers-00000.parquet", "devices-00000.parquet"];
    // A folder under each file's name: the folder can be written in, but no file can take those names.
    for (const name of names) fs.mkdirSync(path.join(out, name, "mine"), { recursive: true });
    const run = generateCommand("--rows", "500", "--customers", "10", "--devices", "12", "--out", out, "--workers", "1");
    expect(run.status, run.stderr).to.equal(1);
    for (const name of names) expect(run.stderr).to.include(path.join(out, name));
  });
});

describe("generator progress", () => {
  const update = { rowsDone: 250, rowsTotal: 1000, bytesWritten: 50e6, filesWritten: 1, filesTotal: 4 };

  it("says the share done, the rate and the time left at that rate", () => {
    expect(formatProgress(update, 10, false)).to.equal("25.0%  files 1/4  rows 250/1000  50.0 MB  5.0 MB/s  ETA 30s");
    expect(formatProgress({ ...update, rowsDone: 100 }, 20, true)).to.equal("[###...........................] 10.0%  files 1/4  rows 100/1000  50.0 MB  2.5 MB/s  ETA 3m00s");
  });

  it("writes a line every 5 seconds when stderr is not a terminal, and a last one at the end", () => {
    let now = 0;
    const lines: string[] = [];
    const stream = { isTTY: false, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream;
    const reporter = progressReporter(stream, () => now);
    now = 1_000;
    reporter.update(update);
    now = 6_000;
    reporter.update({ ...update, rowsDone: 500 });
    now = 7_000;
    reporter.update({ ...update, rowsDone: 1000, filesWritten: 4 });
    reporter.end();
    expect(lines).to.deep.equal(["50.0%  files 1/4  rows 500/1000  50.0 MB  8.3 MB/s  ETA 6s\n", "100.0%  files 4/4  rows 1000/1000  50.0 MB  7.1 MB/s  ETA 0s\n"]);
  });
});
