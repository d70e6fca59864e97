/**
 * Crash test on the real emulators: the streaming pipeline runs in its own process and is killed
 * with SIGKILL mid-stream, after it has acknowledged some messages and before it has read them all.
 * A second run of the same pipeline on the same subscription then gets every unacknowledged
 * message redelivered, and the tables end up exactly as expected: every good row once, nothing
 * lost, no duplicate rows — acknowledging only what was written, plus idempotent writes. Both runs
 * checkpoint into the same directory (the runner's `checkpointDir`), as a restarted production job
 * does: the second takes the first's windows back.
 */
import { newPubSub } from "../../io/pubsub/client";
import { expect } from "chai";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "apache-beam";
import { useEmulators } from "../support/emulators";
import { ingest } from "../../ingest/publisher";
import { readRows, closeBigtableClients } from "../../io/bigtable";
import { transactionRow } from "../../transforms/bigtable_row";
import { goodTransactions, checksum, SAMPLE_FILES, sampleBadRowCount } from "../support/sample_rows";

const ROOT = path.resolve(__dirname, "..", "..");
const PROJECT = "local-project";
const INSTANCE = "e-commerce-data";
const SUBSCRIPTION = "transactions-crash-pipeline";

/** Starts the pipeline process, checkpointing into `checkpointDir`; `onProgress` sees (read, acknowledged) as it goes. */
function startJob(checkpointDir: string, onProgress: (read: number, acked: number) => void): { child: ChildProcess; exited: Promise<number | null> } {
  const args = ["-r", "./scripts/register.js", "test/pipelines/crash_job.ts", `projects/${PROJECT}/subscriptions/${SUBSCRIPTION}`, checkpointDir];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: process.env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let buffered = "";
  child.stdout!.on("data", (chunk) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      const m = /^progress (\d+) (\d+)$/.exec(line);
      if (m) onProgress(Number(m[1]), Number(m[2]));
    }
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => {
    clearTimeout(killer);
    resolve(code);
  }));
  return { child, exited };
}

async function rowCount(table: string): Promise<number> {
  return (await readRows({ projectId: PROJECT, instanceId: INSTANCE, tableId: table }).catch(() => [])).length;
}

describe("crash: kill -9 mid-stream, run again, and the tables are exactly right", function () {
  this.timeout(150_000);
  useEmulators(["pubsub", "bigtable"]);
  const checkpointDir = fs.mkdtempSync(path.join(os.tmpdir(), "crash-checkpoints-"));
  after(() => closeBigtableClients());
  after(() => fs.rmSync(checkpointDir, { recursive: true, force: true }));

  it("loses nothing and duplicates nothing", async () => {
    const pubsub = newPubSub(PROJECT);
    const [topic] = await pubsub.createTopic("transactions-crash");
    await topic.createSubscription(SUBSCRIPTION, { ackDeadlineSeconds: 10 });
    await pubsub.close();
    const expected = goodTransactions().map(transactionRow);
    const total = expected.length + sampleBadRowCount();

    // First run, killed once it has acknowledged some messages but not read them all. Publishing
    // at a bounded rate keeps the stream going long enough to kill it in the middle.
    let killedAt: { read: number; acked: number } | undefined;
    const first = startJob(checkpointDir, (read, acked) => {
      if (killedAt === undefined && acked > 0 && read < total) {
        killedAt = { read, acked };
        first.child.kill("SIGKILL");
      }
    });
    // The rows' own event times (months apart) close their minutes quickly, so acknowledgements
    // flow while the stream goes on — the interesting moment to crash.
    const published = await ingest({ inputs: SAMPLE_FILES, topic: "transactions-crash", projectId: PROJECT, eventTime: "row", rate: 800 });
    expect(published.published).to.equal(total);
    const firstExit = await first.exited;
    expect(killedAt, "the first run was killed mid-stream").to.not.equal(undefined);
    console.log(`      killed the first run after it read ${killedAt!.read} and acknowledged ${killedAt!.acked} of ${total} messages`);
    expect(firstExit).to.equal(null);
    const rowsAfterCrash = await rowCount("transacoes");
    expect(rowsAfterCrash).to.be.below(expected.length);

    // Second run: redelivered messages (their ack deadline passes) and the rest; drained once the table is complete.
    const second = startJob(checkpointDir, () => {});
    const deadline = Date.now() + 80_000;
    // Both tables: a bad message redelivered late is still on its way when the good rows are complete.
    const complete = async () => (await rowCount("transacoes")) >= expected.length && (await rowCount("dead_letters")) >= sampleBadRowCount();
    while (!(await complete()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    second.child.kill("SIGINT");
    expect(await second.exited).to.equal(0);

    const rows = await readRows({ projectId: PROJECT, instanceId: INSTANCE, tableId: "transacoes" });
    expect(rows.length).to.equal(expected.length);
    expect(checksum(rows)).to.equal(checksum(expected.map((r) => ({ key: r.key, cells: r.cells.map((c) => ({ family: r.family, ...c })) }))));
    expect(await rowCount("dead_letters")).to.equal(sampleBadRowCount());
  });
});
