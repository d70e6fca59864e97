/**
 * The demo's summary tells the truth: a second run against the same (reused) emulators reports this
 * run's revenue, not the table's; an interrupted run says so, counts what it handled, and says how
 * much it left unread. Runs `npm run pipeline` as a user does, against emulators this suite starts.
 */
import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { useEmulators } from "../support/emulators";
import { independentGoodTransactions } from "../support/independent_sample";
import { writeTransactions } from "../../fixtures/generate";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = ["-r", "./scripts/register.js", "pipelines/main.ts"];

/** The "revenue per category" lines of a summary, as category → "1,234.50 (N transactions)". */
function revenueLines(stdout: string): Map<string, string> {
  const section = stdout.slice(stdout.indexOf("revenue per category"));
  const lines = section.split("\n").slice(1, section.split("\n").indexOf(""));
  return new Map(lines.map((l) => l.trim().match(/^(.+?)\s{2,}([\d,]+\.\d\d)\s+\((\d+) transactions\)$/)!).map((m) => [m[1], `${m[2]} (${m[3]})`]));
}

/** `label  value…` of the summary's line starting with `label`. */
function field(stdout: string, label: string): string {
  const line = stdout.split("\n").find((l) => l.startsWith(`  ${label} `));
  expect(line, `summary line '${label}' in:\n${stdout}`).to.not.equal(undefined);
  return line!.slice(label.length + 2).trim();
}

describe("npm run pipeline: the demo's summary", function () {
  this.timeout(180_000);
  const emulators = useEmulators(["pubsub", "bigtable"]);
  const env = () => ({ ...process.env, ...emulators.env, DEBUG: "" });

  it("a second run against reused emulators reports this run's revenue per category, and leaves them running", () => {
    const money = (paise: number) => (paise / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    const expected = new Map<string, string>();
    const transactions = independentGoodTransactions();
    for (const category of new Set(transactions.map((t) => t.category))) {
      const mine = transactions.filter((t) => t.category === category);
      expected.set(category, `${money(mine.reduce((n, t) => n + t.finalPricePaise * t.quantity, 0))} (${mine.length})`);
    }
    for (const run of [1, 2]) {
      const result = spawnSync(process.execPath, CLI, { cwd: ROOT, env: env(), encoding: "utf8", timeout: 120_000 });
      expect(result.status, result.stderr).to.equal(0);
      expect(field(result.stdout, "ended"), `run ${run}`).to.match(/^every message handled/);
      expect(revenueLines(result.stdout), `run ${run}`).to.deep.equal(expected);
      expect(result.stdout).to.contain("emulator you pointed at is still running");
      expect(result.stdout).to.not.contain("stopped");
      // The bar's total was estimated from the sample's size: its last line shows the true one.
      const published = Number(field(result.stdout, "published").split(" ")[0]);
      const bar = result.stderr.split("\n").filter((l) => l.startsWith("publishing: "));
      expect(bar.pop(), `run ${run}: ${result.stderr}`).to.match(new RegExp(`^publishing: ${published} of ${published} \\(100%\\)`));
    }
  });

  // Runs last: it leaves messages unread in the demo's subscription.
  it("an interrupted run says so, counts what it handled, and says how much it left unread", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "demo-interrupted-"));
    const input = path.join(dir, "transactions.csv");
    await writeTransactions({ rows: 40_000, seed: 11, format: "csv", out: input });
    const child = spawn(process.execPath, [...CLI, `--input=${input}`], { cwd: ROOT, env: env() });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    // Interrupt while it publishes: once the emulators answer, well before 40 000 rows are out.
    const deadline = Date.now() + 60_000;
    while (!stderr.includes("emulators: Pub/Sub at") && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1_500));
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    fs.rmSync(dir, { recursive: true, force: true });
    expect(code, stderr).to.equal(0);

    expect(field(stdout, "ended")).to.equal("interrupted (SIGINT received)");
    const published = Number(field(stdout, "published").split(" ")[0]);
    const read = field(stdout, "read").match(/^(\d+) of them(?:; (\d+) left unread)?/)!;
    const handled = Number(field(stdout, "handled").split(" ")[0]);
    expect(published).to.be.within(1, 40_000);
    expect(Number(read[1])).to.be.at.most(published);
    expect(Number(read[2] ?? 0)).to.equal(published - Number(read[1]));
    expect(handled).to.be.at.most(Number(read[1]));
    const valid = Number(field(stdout, "valid").split(" ")[0]);
    const dead = Number(field(stdout, "dead letters").split(" ")[0]);
    expect(valid + dead).to.equal(handled);
    // Throughput is what was handled over the run's time, not what was published.
    const throughput = field(stdout, "throughput").match(/^(\d+) messages\/s handled \((\d+) in ([\d.]+) s\)$/)!;
    expect(Number(throughput[2])).to.equal(handled);
    // The seconds are printed to a tenth: the rate must lie within what that rounding allows.
    const seconds = Number(throughput[3]);
    const fastest = handled / Math.max(seconds - 0.05, 1e-3);
    const slowest = handled / (seconds + 0.05);
    expect(Number(throughput[1])).to.be.within(Math.floor(slowest), Math.ceil(fastest));
  });
});
