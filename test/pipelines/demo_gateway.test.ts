/**
 * `npm run pipeline -- --source=gateway`: the demo with the sample sent through the gRPC gateway.
 * It starts its own emulators; every good row of the sample must become a transaction row, and
 * every bad one be refused at the gateway's door or be one the proto cannot carry.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describeMissing, missingEmulators } from "../../emulators";

const ROOT = path.resolve(__dirname, "..", "..");

describe("npm run pipeline -- --source=gateway", function () {
  this.timeout(240_000);

  before(async function () {
    const missing = await missingEmulators(["pubsub", "bigtable"]);
    for (const m of missing) console.log(`  skipped: ${describeMissing(m)}`);
    if (missing.length > 0) this.skip();
  });

  it("feeds the sample through the gateway: good rows become rows, bad ones are refused at the door", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "fixtures/sample/manifest.json"), "utf8"));
    const files = Object.values(manifest.files) as { goodRecords: number; badRecords: unknown[] }[];
    const good = files.reduce((n, f) => n + f.goodRecords, 0);
    const bad = files.reduce((n, f) => n + f.badRecords.length, 0);
    const env = { ...process.env };
    delete env.PUBSUB_EMULATOR_HOST;
    delete env.BIGTABLE_EMULATOR_HOST;
    const run = spawnSync(process.execPath, ["-r", "./scripts/register.js", "pipelines/main.ts", "--source=gateway"], { cwd: ROOT, encoding: "utf8", timeout: 220_000, env });
    expect(run.status, run.stderr).to.equal(0);
    const through = run.stdout.match(/through the gateway in [\d.]+ s: (\d+) events accepted \(profiles, scores, transactions\), (\d+) transactions refused at the door, (\d+) rows the proto cannot carry/);
    expect(through, run.stdout).to.not.equal(null);
    const [accepted, refused, notSendable] = through!.slice(1).map(Number);
    expect(refused + notSendable).to.equal(bad);
    expect(run.stdout).to.match(new RegExp(`valid +${good} → Bigtable transacoes`));
    // Beyond the good transactions: one profile and one score per customer.
    expect((accepted - good) % 2).to.equal(0);
    expect(accepted - good).to.be.above(0);
    expect(run.stdout).to.match(/refused: transaction\.\w+: /);
    expect(run.stdout).to.match(/dados:event_id +@/);
    expect(run.stdout).to.match(/npm run event -- --event-id [0-9A-Z]{26}/);
  });
});
