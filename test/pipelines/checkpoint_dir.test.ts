/**
 * `npm run pipeline -- --subscription=… --checkpoint-dir=DIR`, as a user runs it: the committed
 * sample published as a live stream while the command reads it, killed with SIGKILL once it has
 * written a checkpoint and part of the rows, then run again with the same DIR until the subscription
 * is idle. The tables must end exact — every good row once with its cells, every bad record one dead
 * letter, the per-minute aggregate adding up to each category's revenue (to the paisa) and purchases
 * — and nothing may be left unacknowledged: what the killed run had acknowledged, its checkpoint
 * held; the rest came back. And the flag's wrong values: exit 2, one line, before anything runs.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "apache-beam";
import { useEmulators } from "../support/emulators";
import { spawn } from "child_process";
import { ROOT, runCli } from "../support/run_cli";
import { until } from "../support/live_job";
import { checksum, expectedRows, goodTransactions, sampleBadRowCount, SAMPLE_FILES } from "../support/sample_rows";
import { closeBigtableClients, readRows } from "../../io/bigtable";
import { newPubSub } from "../../io/pubsub/client";
import { ingest } from "../../ingest/publisher";
import { aggregateOutcome } from "../../chaos/aggregate_outcome";
import { CHAOS_AGGREGATE_TABLE, CHAOS_DEAD_LETTER_TABLE, CHAOS_TRANSACTIONS_TABLE } from "../../chaos/job";
import { messagesLeft } from "../../chaos/running_job";
import { CHAOS_INSTANCE, CHAOS_PROJECT, countRows } from "../../chaos/tables";
import { formatRupees } from "../../transforms/money";

const TOPIC = "checkpoint-cli";

describe("npm run pipeline -- --checkpoint-dir: killed and run again with the same folder, the tables end exact", function () {
  this.timeout(180_000);
  useEmulators(["pubsub", "bigtable"]);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "checkpoint-cli-"))));
  after(async () => {
    await closeBigtableClients();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("every row once, every dead letter, the aggregate's revenue to the paisa, nothing unacknowledged", async () => {
    const pubsub = newPubSub(CHAOS_PROJECT);
    const [topic] = await pubsub.createTopic(TOPIC);
    await topic.createSubscription(`${TOPIC}-sub`, { ackDeadlineSeconds: 10 });
    await pubsub.close();
    const checkpoints = path.join(dir, "checkpoints");
    const args = [
      `--subscription=${TOPIC}-sub`,
      `--checkpoint-dir=${checkpoints}`,
      `--table=${CHAOS_TRANSACTIONS_TABLE}`,
      `--aggregate-table=${CHAOS_AGGREGATE_TABLE}`,
      `--dead-letter=bigtable:${CHAOS_DEAD_LETTER_TABLE}`,
      "--bundle-size=100",
      "--no-ui",
    ];
    // A live stream: the first run is killed while it still comes.
    const publishing = ingest({ inputs: SAMPLE_FILES, topic: TOPIC, projectId: CHAOS_PROJECT, eventTime: "now", rate: 400 });
    publishing.catch(() => undefined);
    let killedAtRows = 0;
    const first = spawn(process.execPath, ["-r", "./scripts/register.js", "pipelines/main.ts", ...args], { cwd: ROOT, stdio: "ignore" });
    const firstExit = new Promise<NodeJS.Signals | null>((resolve) => first.on("exit", (_code, signal) => resolve(signal)));
    try {
      const checkpointed = () => fs.existsSync(checkpoints) && fs.readdirSync(checkpoints).length > 0;
      await until("the first run has checkpointed and written 500 rows", 60_000, async () => checkpointed() && (killedAtRows = await countRows(CHAOS_TRANSACTIONS_TABLE)) >= 500);
    } finally {
      first.kill("SIGKILL");
    }
    expect(await firstExit).to.equal("SIGKILL");
    const { published } = await publishing;
    // What the killed run held comes back once its ack deadline (10 s) has passed: idle for longer than that.
    const second = await runCli("pipelines/main.ts", [...args, "--idle-timeout=12"], { timeoutMs: 90_000 });
    expect(second.status, second.stderr).to.equal(0);

    const good = goodTransactions();
    expect(published).to.equal(good.length + sampleBadRowCount());
    const rows = await readRows({ projectId: CHAOS_PROJECT, instanceId: CHAOS_INSTANCE, tableId: CHAOS_TRANSACTIONS_TABLE });
    expect(rows.length).to.equal(good.length);
    expect(checksum(rows)).to.equal(checksum(expectedRows(good)));
    expect(await countRows(CHAOS_DEAD_LETTER_TABLE)).to.equal(sampleBadRowCount());
    const aggregate = await aggregateOutcome(good);
    const detail = `${JSON.stringify(aggregate)}; killed at ${killedAtRows} rows`;
    expect(aggregate.categoriesWrong, detail).to.equal(0);
    expect(aggregate.revenueWritten, detail).to.equal(formatRupees(good.reduce((sum, t) => sum + t.finalPricePaise * t.quantity, 0)));
    expect(aggregate.purchasesCounted, detail).to.equal(good.length);
    expect(await messagesLeft(CHAOS_PROJECT, `${TOPIC}-sub`)).to.equal(0);
  });
});

describe("npm run pipeline -- --checkpoint-dir: a wrong value is exit 2 and one line, before anything runs", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "checkpoint-cli-mistakes-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("empty, a file, a folder that cannot be made, a batch run, Dataflow, the demo", async () => {
    const file = path.join(dir, "a-file");
    fs.writeFileSync(file, "");
    // Emulator variables that lead nowhere: nothing may be contacted before the flag is refused.
    const env = { ...process.env, PUBSUB_EMULATOR_HOST: "127.0.0.1:1", BIGTABLE_EMULATOR_HOST: "127.0.0.1:1", DEBUG: "" };
    const cases: [string[], RegExp][] = [
      [["--topic=t", "--checkpoint-dir="], /^error: --checkpoint-dir needs a folder, got ''$/],
      [["--topic=t", `--checkpoint-dir=${file}`], /^error: --checkpoint-dir=.*a-file is a file: name a folder \(created if missing\) for the job's checkpoints$/],
      [["--topic=t", "--checkpoint-dir=/proc/no-such/checkpoints"], /^error: --checkpoint-dir=\/proc\/no-such\/checkpoints cannot be written \(.*\): name a folder you can write in$/],
      [["--pipeline=batch", `--checkpoint-dir=${dir}`], /^error: --checkpoint-dir checkpoints a streaming job's windows; the batch pipeline has none: leave it out$/],
      [["--runner=dataflow", "--project=demo", "--tempLocation=gs://demo-bucket/tmp", "--dry-run", `--checkpoint-dir=${dir}`], /^error: --checkpoint-dir is the direct runner's: Dataflow keeps a job's state itself, leave it out$/],
      [[`--checkpoint-dir=${dir}`], /^error: --checkpoint-dir checkpoints a job reading --topic or --subscription; the demo starts afresh each time/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli("pipelines/main.ts", args, { env, timeoutMs: 60_000 })));
    for (const [i, [args, line]] of cases.entries()) {
      const run = runs[i];
      const lines = run.stderr.split("\n").filter((l) => l !== "");
      expect(run.status, `${args.join(" ")}: ${run.stderr}`).to.equal(2);
      expect(lines, args.join(" ")).to.have.length(1);
      expect(lines[0], args.join(" ")).to.match(line);
    }
    expect(fs.readdirSync(dir)).to.deep.equal(["a-file"]);
  });
});
