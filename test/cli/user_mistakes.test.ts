/**
 * What a person at the keyboard meets beyond a bad flag: a port already taken, an output folder
 * that is a file, a table not there yet, Ctrl-C in the middle of a batch or a publish. Each ends
 * with one clear line (exit 2 for their mistake) or an honest count of what was done. Runs the
 * commands as processes, the way `npm run …` does.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { useEmulators } from "../support/emulators";
import { DEFAULT_UI_PORT } from "../../web/server";
import { ROOT, runCli, runClis, userCommand as command } from "../support/run_cli";

/** Listens on `port` (0: any free one); resolves undefined when someone else already holds it. */
async function hold(port: number): Promise<net.Server | undefined> {
  const server = net.createServer();
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => (error.code === "EADDRINUSE" ? resolve(undefined) : reject(error)));
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

describe("cli: ports, tables and Ctrl-C as a user meets them", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "user-mistakes-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("the job page's default port taken: a free one instead; a port the user chose, taken, is their mistake", async () => {
    // Held here, or already held by someone else: taken either way.
    const defaultPort = await hold(DEFAULT_UI_PORT);
    const chosen = (await hold(0))!;
    try {
      // No emulator and no credentials: the job fails soon after its page is up.
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir };
      delete env.PUBSUB_EMULATOR_HOST;
      delete env.GOOGLE_APPLICATION_CREDENTIALS;
      const port = (chosen.address() as net.AddressInfo).port;
      const [fallback, taken] = await runClis([
        () => command("pipelines/main.ts", ["--topic=orders", "--ui"], env),
        () => command("pipelines/main.ts", ["--topic=orders", "--ui", `--ui-port=${port}`], env),
      ]);
      expect(fallback.stdout).to.contain(`port ${DEFAULT_UI_PORT} is in use: the job page listens on a free port instead\n`);
      const page = /^job page: http:\/\/127\.0\.0\.1:(\d+)\//m.exec(fallback.stdout);
      expect(page, fallback.stdout + fallback.stderr).to.not.equal(null);
      expect(Number(page![1])).to.not.equal(DEFAULT_UI_PORT);
      // Then the job needs Pub/Sub: no emulator variable and no credentials is the user's to fix.
      expect(fallback.status, fallback.stderr).to.equal(2);
      expect(fallback.lines.at(-1)).to.match(/^error: no Google credentials were found, and the emulator variables .* run `npm run emulators`/);

      expect(taken.status, taken.stderr).to.equal(2);
      expect(taken.lines).to.deep.equal([`error: the web UI cannot listen on port ${port}: it is in use (pick another with --ui-port, or 0 for any free one)`]);
    } finally {
      defaultPort?.close();
      chosen.close();
    }
  });

  it("chaos: --help lists the probes (exit 0); an unknown probe or flag is one line, exit 2", async () => {
    const [help, probe, flag] = await runClis([() => command("chaos/main.ts", ["--help"]), () => command("chaos/main.ts", ["poison", "nope"]), () => command("chaos/main.ts", ["--bogus"])]);
    expect(help.status, help.stderr).to.equal(0);
    for (const probe of ["crash-loop", "outage-pubsub-kill", "bad-files", "poison", "overload", "--verbose"]) expect(help.stdout).to.match(new RegExp(`^  ${probe} +\\S`, "m"));
    expect(probe.status, probe.stderr).to.equal(2);
    expect(probe.lines).to.have.length(1);
    expect(probe.lines[0]).to.match(/^error: unknown probe nope; the probes are crash-loop, .*overload \(--help says what each does\)$/);
    expect(flag.status, flag.stderr).to.equal(2);
    expect(flag.lines).to.deep.equal(["error: Unknown option '--bogus' (--help lists the flags)"]);
  });

  it("the benchmarks: --help lists their flags (exit 0); a wrong flag or a value the flag does not take is one line, exit 2", async () => {
    const benches = ["bench/runner.ts", "bench/workers.ts", "bench/end_to_end.ts", "bench/generator.ts", "bench/streaming.ts", "bench/gateway.ts", "bench/fn_api.ts", "bench/fn_api_profile.ts", "bench/pull_gate.ts"];
    const runs = await runClis(benches.flatMap((bench) => [() => command(bench, ["--help"]), () => command(bench, ["--bogus"])]));
    for (const [i, bench] of benches.entries()) {
      const [help, bogus] = [runs[2 * i], runs[2 * i + 1]];
      expect(help.status, `${bench}: ${help.stderr}`).to.equal(0);
      expect(help.stdout, bench).to.match(/^Usage: (npm run bench:|node -r \.\/scripts\/register\.js bench\/)/);
      expect(help.stdout, bench).to.match(/^ +--verbose +print the stack of a failure/m);
      expect(bogus.status, `${bench}: ${bogus.stderr}`).to.equal(2);
      expect(bogus.lines, bench).to.deep.equal(["error: Unknown option '--bogus' (--help lists the flags)"]);
    }
    // Values are checked before any work starts: nothing is generated, no emulator started.
    const [rows, repeats] = await runClis([() => command("bench/runner.ts", ["--rows=abc"]), () => command("bench/generator.ts", ["--repeats=0"])]);
    expect([rows.status, rows.lines]).to.deep.equal([2, ["error: --rows must be a whole number of at least 1, got 'abc'"]]);
    expect([repeats.status, repeats.lines]).to.deep.equal([2, ["error: --repeats must be a whole number of at least 1, got '0'"]]);
  });

  it("every --help lists --verbose, which every command takes", async () => {
    const scripts = ["ingest/gateway/main.ts", "pipelines/event_cli.ts", "ingest/main.ts", "chaos/main.ts"];
    const helps = await runClis(scripts.map((script) => () => command(script, ["--help"])));
    for (const [i, script] of scripts.entries()) {
      const help = helps[i];
      expect(help.status, `${script}: ${help.stderr}`).to.equal(0);
      expect(help.stdout, script).to.match(/^ +--verbose +print the stack of a failure/m);
    }
  });

  it("a batch --output that is a file: refused before anything is read", async () => {
    const file = path.join(dir, "report.txt");
    fs.writeFileSync(file, "mine\n");
    const run = await command("pipelines/main.ts", ["--pipeline=batch", `--output=${file}`]);
    expect(run.status, run.stderr).to.equal(2);
    expect(run.lines).to.deep.equal([`error: --output=${file} is a file: name a folder (created if missing) for the rows, aggregates and dead letters`]);
    expect(fs.readFileSync(file, "utf8")).to.equal("mine\n");
  });

  it("a batch --output where no folder can be made: refused before anything is read, not a hang", async () => {
    const run = await command("pipelines/main.ts", ["--pipeline=batch", "--output=/proc/no-such"]);
    expect(run.status, run.stderr).to.equal(2);
    expect(run.lines).to.have.length(1);
    expect(run.lines[0]).to.match(/^error: --output=\/proc\/no-such cannot be written \(ENOENT: .*mkdir '\/proc\/no-such'\): name a folder you can write in$/);
  });

  it("an empty input after a real run: 'nothing was written', and the earlier run's files said to be theirs", async () => {
    const output = path.join(dir, "again");
    const full = await command("pipelines/main.ts", ["--pipeline=batch", `--output=${output}`]);
    expect(full.status, full.stderr).to.equal(0);
    const written = fs.readdirSync(output).filter((f) => f.endsWith(".jsonl")).length;
    const empty = path.join(dir, "empty.csv");
    fs.writeFileSync(empty, "");
    const run = await command("pipelines/main.ts", ["--pipeline=batch", `--input=${empty}`, `--output=${output}`]);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.contain(`nothing was written: the inputs hold no records; ${output}/ still holds ${written} files of an earlier run\n`);
  });

  it("Ctrl-C in a batch: exit 130, a line saying the outputs are not final, not a silent death, and no temp files left", async () => {
    // 40 copies of the sample's rows (~100 000): seconds of work, so the signal lands mid-run.
    const [header, ...rows] = fs.readFileSync(path.join(ROOT, "fixtures/sample/transactions.csv"), "utf8").trimEnd().split("\n");
    const input = path.join(dir, "many.csv");
    fs.writeFileSync(input, [header, ...Array.from({ length: 40 }, () => rows).flat()].join("\n") + "\n");
    const output = path.join(dir, "interrupted");
    const child = spawn(process.execPath, ["-r", "./scripts/register.js", "pipelines/main.ts", "--pipeline=batch", `--input=${input}`, `--output=${output}`], { cwd: ROOT, env: { ...process.env, DEBUG: "" } });
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    // The signal lands once the sinks have started writing their temp files (or the run ended: the code then fails the test).
    const writing = () => fs.existsSync(output) && fs.readdirSync(output).some((f) => f.startsWith(".temp-"));
    let ended = false;
    void exited.then(() => (ended = true));
    while (!writing() && !ended) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const code = await exited.finally(() => clearTimeout(timer));
    expect(code, stderr).to.equal(130);
    expect(stderr).to.contain(`SIGINT: the batch stopped part-way (the line above says how far); nothing under ${output}/ is final: run it again to write it whole\n`);
    expect(fs.readdirSync(output).filter((f) => f.startsWith(".temp-"))).to.deep.equal([]);
  });

  it("a reader that leaves early (`… | head`): the command goes on to its end, exit 0, no stack", async () => {
    const unread = async (script: string, args: string[]) => {
      const { status, stderr } = await runCli(script, args, { env: { ...process.env, DEBUG: "" }, timeoutMs: 60_000, closeStdout: true });
      return { code: status, stderr };
    };
    const output = path.join(dir, "unread");
    const [help, batch] = await runClis([() => unread("bench/runner.ts", ["--help"]), () => unread("pipelines/main.ts", ["--pipeline=batch", `--output=${output}`, "--log-level=warn"])]);
    expect(help, help.stderr).to.deep.equal({ code: 0, stderr: "" });
    expect(batch.code, batch.stderr).to.equal(0);
    expect(batch.stderr).to.not.match(/EPIPE|\n +at /);
    // The job's results are its files: all written, though nobody read its report (2500 valid rows, 32 dead letters).
    const lines = (prefix: string) => fs.readFileSync(path.join(output, `${prefix}-00000-of-00001.jsonl`), "utf8").trimEnd().split("\n").length;
    expect([lines("transacoes"), lines("dead-letters")]).to.deep.equal([2500, 32]);
    expect(fs.existsSync(path.join(output, "report.html"))).to.equal(true);
  });

  describe("against the emulators", () => {
    const emulators = useEmulators(["pubsub", "bigtable"]);

    it("rows of a table that does not exist: its name, where, and how it comes to exist", async () => {
      const run = await command("cli/rows.ts", ["--table=no_such_table"], { ...process.env, ...emulators.env });
      expect(run.status, run.stderr).to.equal(2);
      expect(run.lines, run.stderr).to.have.length(1);
      expect(run.lines[0]).to.match(/^error: table 'no_such_table' does not exist in instance e-commerce-data of project local-project \(the Bigtable emulator at .*\): a pipeline run against this emulator creates it/);
    });

    it("ingest: a topic name Pub/Sub refuses says the rule; progress while publishing slowly; Ctrl-C mid-publish says how many were published, exit 130", async () => {
      const env = { ...process.env, ...emulators.env, DEBUG: "" };
      const refused = await command("ingest/main.ts", ["--input=fixtures/sample/transactions.csv", "--topic=t1"], env);
      expect(refused.status, refused.stderr).to.equal(2);
      expect(refused.lines, refused.stderr).to.have.length(1);
      expect(refused.lines[0]).to.match(/^error: --topic t1: Pub\/Sub refuses this topic name \(.*\); a name is 3–255 characters, starts with a letter/);

      const child = spawn(process.execPath, ["-r", "./scripts/register.js", "ingest/main.ts", "--input=fixtures/sample/transactions.csv", "--topic=interrupted", "--create-topic", "--rate=20"], { cwd: ROOT, env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      // At 20 msg/s the sample takes 100 s: its first progress line (piped: after 5 s) comes mid-publish, long before its one chunk of lines is sent.
      const progressed = new Promise<void>((resolve) => child.stderr.on("data", (chunk: Buffer) => /^publishing: [1-9]\d* of \d+/m.test((stderr += chunk)) && resolve()));
      const bound = new Promise((resolve) => setTimeout(resolve, 30_000).unref());
      await Promise.race([progressed, exited, bound]);
      expect(stderr, "a progress line while publishing slowly").to.match(/^publishing: [1-9]\d* of \d+/m);
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const code = await exited.finally(() => clearTimeout(timer));
      expect(code, stderr).to.equal(130);
      const said = /^interrupted: published (\d+) \((\d+) valid, (\d+) bad rows\) in [\d.]+ s — \d+ msg\/s to interrupted; the rest of the input was not sent$/m.exec(stdout);
      expect(said, stdout + stderr).to.not.equal(null);
      const [published, valid, bad] = said!.slice(1).map(Number);
      expect(published).to.be.within(0, 2020);
      expect(valid + bad).to.equal(published);
    });
  });
});
