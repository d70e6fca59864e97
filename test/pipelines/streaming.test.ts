/**
 * The streaming pipeline end to end on Google's real emulators: the committed sample is published
 * (one message per row), the pipeline on our runner writes Bigtable, and then:
 * every good row is there (count and a checksum of its cells), every bad row is a dead letter with a
 * reason, `cbt read` (the real CLI) shows seed 004's layout, the per-minute aggregate adds up, and
 * nothing is left unacknowledged.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import "apache-beam";
import { v1 } from "@google-cloud/pubsub";
import { useEmulators } from "../support/emulators";
import { INSTANCE, PROJECT, streamingJobOnTopic } from "../support/streaming_job";
import { sampleBadRowCount, checksum, expectedRows, goodTransactions, SAMPLE_FILES } from "../support/sample_rows";
import { directRunner, type DirectPipelineResult } from "../../runners/direct";
import { streamingPipeline } from "../../pipelines/streaming";
import { ingest } from "../../ingest/publisher";
import { readRows, closeBigtableClients, type ReadRow } from "../../io/bigtable";
import { pubsubClientOptions } from "../../io/pubsub/client";
import { revenueOf } from "../../transforms/transaction";


describe("the streaming pipeline on the emulators: Pub/Sub → our runner → Bigtable", function () {
  this.timeout(120_000);
  const emulators = useEmulators(["pubsub", "bigtable"]);
  const badRows = sampleBadRowCount();
  let result: DirectPipelineResult;
  let published = 0;
  let deadLetterDir: string;

  before(async function () {
    this.timeout(120_000);
    const { job, deadLetterDir: dir } = await streamingJobOnTopic("transactions-e2e", 10);
    deadLetterDir = dir;
    const counts = await ingest({ inputs: SAMPLE_FILES, topic: "transactions-e2e", projectId: PROJECT, eventTime: "now" });
    published = counts.published;
    result = (await directRunner({ stopAfter: { records: published } }).run(streamingPipeline(job))) as DirectPipelineResult;
  });

  after(async () => {
    await closeBigtableClients();
    if (deadLetterDir) fs.rmSync(deadLetterDir, { recursive: true, force: true });
  });

  it("publishes one message per record of the sample", () => {
    expect(emulators.endpoints.pubsub).to.be.a("string");
    expect(published).to.equal(goodTransactions().length + badRows);
  });

  it("writes every good row, exactly: count and checksum of cells", async () => {
    const expected = expectedRows(goodTransactions());
    const rows = await readRows({ projectId: PROJECT, instanceId: INSTANCE, tableId: "transacoes" });
    expect(rows.length).to.equal(expected.length);
    expect(checksum(rows)).to.equal(checksum(expected));
  });

  it("sends every bad row to the dead letters, with the step and the reason", async () => {
    const files = fs.readdirSync(deadLetterDir).filter((f) => f.endsWith(".jsonl"));
    const letters = files.flatMap((f) => fs.readFileSync(path.join(deadLetterDir, f), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)));
    expect(letters.length).to.equal(badRows);
    for (const d of letters) {
      expect(d.reason).to.be.a("string").and.not.equal("");
      expect(d.step).to.match(/parsePubSubPayloads|validateTransactions/);
      expect(d.origin).to.match(/^pubsub:/);
      expect(d.input).to.be.a("string");
    }
    const counters = await result.counters();
    expect(counters.deadLetters).to.equal(badRows);
    expect(counters.valid).to.equal(goodTransactions().length);
  });

  it("`cbt read` shows seed 004's layout: family dados with category, final_price, payment, price", () => {
    const out = execFileSync("cbt", ["-project", PROJECT, "-instance", INSTANCE, "read", "transacoes", "count=1"], {
      env: { ...process.env, BIGTABLE_EMULATOR_HOST: emulators.endpoints.bigtable },
      encoding: "utf8",
      timeout: 20_000,
    });
    for (const qualifier of ["category", "final_price", "payment", "price"]) expect(out).to.contain(`dados:${qualifier}`);
  });

  it("the per-minute aggregate adds up to each category's revenue", async () => {
    const rows: ReadRow[] = await readRows({ projectId: PROJECT, instanceId: INSTANCE, tableId: "receita_por_minuto" });
    const byCategory = new Map<string, number>();
    for (const row of rows) {
      const category = decodeURIComponent(row.key.slice(0, row.key.lastIndexOf("#")));
      const latestRevenue = Number(row.cells.find((c) => c.qualifier === "revenue")!.value);
      byCategory.set(category, (byCategory.get(category) ?? 0) + latestRevenue);
    }
    const expected = new Map<string, number>();
    for (const t of goodTransactions()) expected.set(t.category, (expected.get(t.category) ?? 0) + revenueOf(t));
    expect([...byCategory.keys()].sort()).to.deep.equal([...expected.keys()].sort());
    // Each minute's revenue is written with two decimals.
    for (const [category, revenue] of expected) expect(byCategory.get(category)).to.be.closeTo(revenue, 0.01 * rows.length);
  });

  it("leaves nothing unacknowledged", async () => {
    const client = new v1.SubscriberClient(pubsubClientOptions(PROJECT) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
    try {
      const [response] = await client
        .pull({ subscription: `projects/${PROJECT}/subscriptions/transactions-e2e-pipeline`, maxMessages: 100 }, { timeout: 3_000 })
        .catch(() => [{ receivedMessages: [] }]);
      expect(response.receivedMessages ?? []).to.have.length(0);
      expect(result.progress().sources[Object.keys(result.progress().sources)[0]].acknowledged).to.equal(published);
    } finally {
      await client.close();
    }
  });
});
