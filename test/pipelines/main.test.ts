import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { independentGoodTransactions } from "../support/independent_sample";
import { runCli, runClis } from "../support/run_cli";
import type { Transaction } from "../../transforms/transaction";

const ROOT = path.resolve(__dirname, "..", "..");

function pipelineCli(...args: string[]) {
  return spawnSync(process.execPath, ["-r", "./scripts/register.js", "pipelines/main.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("npm run pipeline", () => {
  it("--help lists the flags with their defaults and exits 0", () => {
    const run = pipelineCli("--help");
    expect(run.status).to.equal(0);
    for (const flag of ["--runner", "--pipeline", "--input", "--bundle-size"]) expect(run.stdout).to.contain(flag);
    expect(run.stdout).to.match(/default: direct/);
    // The runner's own default, said as it is on this machine.
    expect(run.stdout).to.match(new RegExp(`--workers=N .*\\(default: the machine's cores, ${os.availableParallelism()} here\\)`));
  });

  it("rejects an unknown flag, or a runner that does not exist, with exit 2 and a reason", async () => {
    const [unknown, flink] = await runClis([() => runCli("pipelines/main.ts", ["--bogus"], { timeoutMs: 60_000 }), () => runCli("pipelines/main.ts", ["--runner=flink"], { timeoutMs: 60_000 })]);
    expect(unknown.status).to.equal(2);
    expect(unknown.stderr).to.match(/Unknown option '--bogus'/);
    expect(flink.status).to.equal(2);
    expect(flink.stderr).to.match(/--runner=flink: expected direct or dataflow/);
  });

  it("--pipeline=batch runs the batch ETL on the committed sample: valid and dead-letter counts are the manifest's", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "fixtures/sample/manifest.json"), "utf8"));
    const files = Object.values(manifest.files) as { goodRecords: number; badRecords: unknown[] }[];
    const good = files.reduce((n, f) => n + f.goodRecords, 0);
    const bad = files.reduce((n, f) => n + f.badRecords.length, 0);
    const output = fs.mkdtempSync(path.join(os.tmpdir(), "batch-"));
    const run = pipelineCli("--runner=direct", "--pipeline=batch", `--output=${output}`);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.contain(`records: ${good + bad} read, ${good} valid, ${bad} dead letters`);
    expect(run.stdout).to.match(/top 5 sales channels by revenue:\n(\s+\d\. .+\n){5}/);
    // The file outputs: one row per valid transaction, one dead letter per bad row.
    const lines = (prefix: string) =>
      fs.readdirSync(output).filter((f) => f.startsWith(prefix) && f.endsWith(".jsonl"))
        .flatMap((f) => fs.readFileSync(path.join(output, f), "utf8").split("\n").filter(Boolean));
    expect(lines("transacoes-")).to.have.length(good);
    expect(lines("dead-letters-")).to.have.length(bad);
    expect(lines("revenue-by-category-")).to.have.length(new Set(independentGoodTransactions().map((t) => t.category)).size);

    // The printed numbers, against totals computed here from the sample read independently.
    const transactions = independentGoodTransactions();
    const money = (paise: number) => (paise / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    const sum = (key: (t: Transaction) => string, measure: (t: Transaction) => number) => {
      const totals = new Map<string, number>();
      for (const t of transactions) totals.set(key(t), (totals.get(key(t)) ?? 0) + measure(t));
      return [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    };
    sum((t) => t.salesChannel, (t) => t.finalPricePaise * t.quantity)
      .slice(0, 5)
      .forEach(([channel, revenue], i) => expect(run.stdout).to.match(new RegExp(`${i + 1}\\. ${channel}\\s+${money(revenue)}\\n`)));
    sum((t) => t.customerState, (t) => t.quantity)
      .slice(0, 5)
      .forEach(([state, quantity], i) => expect(run.stdout).to.match(new RegExp(`${i + 1}\\. ${state}\\s+${quantity}\\n`)));
    for (const [category, revenue] of sum((t) => t.category, (t) => t.finalPricePaise * t.quantity)) {
      const count = transactions.filter((t) => t.category === category).length;
      expect(run.stdout).to.contain(`${money(revenue)}  (${count} transactions)`);
    }
  });
});
