/**
 * A user's mistakes on the command line, as they meet them: each ends with exit 2 and one line on
 * stderr that names the input (or topic, or variable) and the fix, with no stack unless asked for
 * (`--verbose`, `DEBUG`). Runs the commands as processes, the way `npm run …` does.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gzipSync } from "zlib";
import { useEmulators } from "../support/emulators";
import { ROOT, runClis, userCommand as command, type CliRun } from "../support/run_cli";

type UserRun = CliRun & { lines: string[] };

/** Expects exit 2 and exactly one line on stderr, matching `first`. */
function expectMistake(run: UserRun, first: RegExp): void {
  expect(run.status, run.stderr).to.equal(2);
  expect(run.lines, run.stderr).to.have.length(1);
  expect(run.lines[0]).to.match(first);
}

describe("user mistakes: exit 2, one clear line, no stack", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "user-errors-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const batch = (...args: string[]) => command("pipelines/main.ts", ["--pipeline=batch", `--output=${path.join(dir, "out")}`, ...args]);
  // The commands that read no file a test writes run side by side before the first test; each test asserts its own.
  const early = {
    nope: () => batch(`--input=${dir}/nope.csv`),
    folder: () => batch(`--input=${dir}`),
    glob: () => batch(`--input=${dir}/*.csv`),
    binary: () => batch("--input=/bin/ls", "--format=csv"),
    parquet: () => batch("--input=/bin/ls", "--format=parquet"),
    lineLimit: () => batch(`--input=${path.join(ROOT, "fixtures/sample/transactions.csv")}`, "--max-line-bytes=10MB"),
    bogus: () => batch("--bogus"),
    verbose: () => command("pipelines/main.ts", ["--pipeline=batch", `--input=${dir}/nope.csv`, "--verbose"]),
    help: () => command("pipelines/main.ts", ["--help"]),
    ingestWithoutPubSub: () => {
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir };
      delete env.PUBSUB_EMULATOR_HOST;
      // With credentials the real Pub/Sub would be tried: the user this test plays has none.
      delete env.GOOGLE_APPLICATION_CREDENTIALS;
      return command("ingest/main.ts", ["--input=fixtures/sample/transactions.csv", "--topic=orders"], env);
    },
    ingestMissing: () => command("ingest/main.ts", [`--input=${dir}/nope.jsonl`, "--topic=orders"]),
  };
  const ran = {} as Record<keyof typeof early, UserRun>;
  before(async () => {
    const names = Object.keys(early) as Array<keyof typeof early>;
    const runs = await runClis(names.map((name) => early[name]));
    names.forEach((name, i) => (ran[name] = runs[i]));
  });

  it("an input file that does not exist", () => {
    expectMistake(ran.nope, /^error: input file '.*nope\.csv' does not exist$/);
  });

  it("a folder as input", () => {
    expectMistake(ran.folder, /^error: input '.*' is a folder; name its files, e.g. --input='.*\*\.csv'$/);
  });

  it("a glob that matches nothing", () => {
    expectMistake(ran.glob, /^error: file pattern '.*\*\.csv' matches no file$/);
  });

  it("a binary file, even declared as CSV", () => {
    expectMistake(ran.binary, /^error: input '\/bin\/ls' is not a text file \(a NUL byte at offset \d+\)/);
  });

  it("a file declared Parquet that is not (no PAR1 at its start and end): refused up front", () => {
    expectMistake(ran.parquet, /^error: input '\/bin\/ls' is not a Parquet file \(it does not begin and end with the bytes 'PAR1'\)/);
  });

  it("ingest offers only what it reads: CSV and JSON lines, never Parquet", async () => {
    const [run, declared] = await runClis([() => command("ingest/main.ts", ["--input", "/bin/ls", "--topic", "t"]), () => command("ingest/main.ts", ["--input", "/bin/ls", "--format", "csv", "--topic", "t"])]);
    expectMistake(run, /^error: input '\/bin\/ls': a file without an extension is not a format this command reads — it reads csv \(.*\), jsonl \(.*\); .* --format=csv\|jsonl$/);
    expectMistake(declared, /^error: input '\/bin\/ls' is not a text file \(a NUL byte at offset \d+\): this command reads CSV or JSON-lines text only$/);
  });

  it("a gzip file not named .gz, and the way out: the suffix", async () => {
    const sample = fs.readFileSync(path.join(ROOT, "fixtures/sample/transactions.csv"));
    const misnamed = path.join(dir, "orders.csv");
    fs.writeFileSync(misnamed, gzipSync(sample));
    expectMistake(await batch(`--input=${misnamed}`), /^error: input '.*orders\.csv' is gzip-compressed: name it with a \.gz suffix \(e\.g\. 'orders\.csv\.gz'\) to read it decompressed$/);
    fs.renameSync(misnamed, `${misnamed}.gz`);
    const named = await batch(`--input=${misnamed}.gz`);
    expect(named.status, named.stderr).to.equal(0);
    expect(named.stdout).to.contain("records: 2021 read, 2000 valid, 21 dead letters");
  });

  it("a text file with a NUL byte in a line is read: that line is a dead letter, not the file a mistake", async () => {
    const lines = fs.readFileSync(path.join(ROOT, "fixtures/sample/transactions.csv"), "utf8").split("\n").slice(0, 4);
    const file = path.join(dir, "nul.csv");
    fs.writeFileSync(file, [lines[0], lines[1].replace(",", "\u0000,"), lines[2], lines[3]].join("\n") + "\n");
    const run = await batch(`--input=${file}`);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.contain("records: 3 read, 2 valid, 1 dead letters");
  });

  it("a line limit that is not a number of bytes", () => {
    expectMistake(ran.lineLimit, /^error: --max-line-bytes must be a whole number of at least 1, got '10MB'$/);
  });

  it("an extension the pipeline does not read, and the way out: --format", async () => {
    const sheet = path.join(dir, "t.xlsx");
    fs.writeFileSync(sheet, "PK");
    const csvNamedOddly = path.join(dir, "export.txt");
    fs.copyFileSync(path.join(ROOT, "fixtures/sample/transactions.csv"), csvNamedOddly);
    const [xlsx, declared, xml] = await runClis([() => batch(`--input=${sheet}`), () => batch(`--input=${csvNamedOddly}`, "--format=csv"), () => batch(`--input=${csvNamedOddly}`, "--format=xml")]);
    expectMistake(xlsx, /^error: input '.*t\.xlsx': '\.xlsx' is not a format this command reads — .* --format=csv\|jsonl\|parquet$/);
    expect(declared.status, declared.stderr).to.equal(0);
    expect(declared.stdout).to.contain("records: 2021 read, 2000 valid, 21 dead letters");
    expectMistake(xml, /^error: --format=xml: expected csv or jsonl or parquet$/);
  });

  it("an empty input: exit 0, and no claim that outputs were written", async () => {
    const empty = path.join(dir, "empty.csv");
    fs.writeFileSync(empty, "");
    const out = path.join(dir, "empty-out");
    const run = await command("pipelines/main.ts", ["--pipeline=batch", `--input=${empty}`, `--output=${out}`]);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.contain("nothing was written: the inputs hold no records");
    expect(run.stdout).to.not.contain("written under");
    expect(fs.existsSync(out)).to.equal(false);
  });

  it("an unknown flag, briefly (no help dump)", () => {
    expectMistake(ran.bogus, /^error: Unknown option '--bogus'.* \(--help lists the flags\)$/);
  });

  it("--verbose (or DEBUG) shows the stack", () => {
    const run = ran.verbose;
    expect(run.status).to.equal(2);
    expect(run.stderr).to.match(/\n\s+at /);
  });

  it("--help says --region, --tempLocation and --stagingLocation are for Dataflow", () => {
    const help = ran.help.stdout;
    for (const flag of ["region", "tempLocation", "stagingLocation"]) expect(help).to.match(new RegExp(`--${flag}=\\S+\\s+Dataflow `));
  });

  it("ingest without PUBSUB_EMULATOR_HOST or credentials says what is missing", () => {
    expectMistake(ran.ingestWithoutPubSub, /^error: PUBSUB_EMULATOR_HOST is not set and no Google credentials were found: .*npm run emulators/);
  });

  it("ingest of a missing input names it", () => {
    expectMistake(ran.ingestMissing, /^error: input file '.*nope\.jsonl' does not exist$/);
  });

  describe("against the Pub/Sub emulator", () => {
    const emulators = useEmulators(["pubsub"]);

    it("ingest to a missing topic names the topic and the fix; --create-topic creates it", async () => {
      const env = { ...process.env, ...emulators.env };
      const missing = await command("ingest/main.ts", ["--input=fixtures/sample/transactions.csv", "--topic=no-such-topic"], env);
      expectMistake(missing, /^error: topic 'no-such-topic' does not exist in project local-project \(the Pub\/Sub emulator at .*\); create it with --create-topic/);
      const created = await command("ingest/main.ts", ["--input=fixtures/sample/transactions.csv", "--topic=no-such-topic", "--create-topic"], env);
      expect(created.status, created.stderr).to.equal(0);
      expect(created.stdout).to.match(/^published 2021 \(2000 valid, 21 bad rows\)/);
    });
  });
});
