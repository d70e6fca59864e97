/**
 * Events through the gateway, end to end on Google's emulators: the gateway (in this process, on
 * the Pub/Sub emulator) accepts transactions, customers' profiles and scores; the streaming pipeline
 * on our runner writes `transacoes`, `clientes`, `scores` and the `eventos` index; then each reply's
 * event_id is found in a cell of its row and `whereabouts` says where every event went. The gateway
 * refuses at the door what the pipeline would dead-letter, so the dead-letter case is a message
 * published straight to the topic with an event_id attribute, as another producer could.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import "apache-beam";
import { useEmulators } from "../support/emulators";
import { sampleClient, sampleScore, sampleTransaction, SAMPLE_EVENT_TIME_MS } from "../support/gateway_events";
import { directRunner } from "../../runners/direct";
import { streamingPipeline, type StreamingJob } from "../../pipelines/streaming";
import { whereabouts, describeWhereabouts } from "../../pipelines/event_whereabouts";
import type { RunningGateway } from "../../ingest/gateway/server";
import { startLocalGateway } from "../support/local_gateway";
import { GatewayClient } from "../../ingest/gateway/client";
import { newEventId } from "../../ingest/gateway/event_id";
import { readRows, closeBigtableClients, type ReadRow } from "../../io/bigtable";
import { newPubSub } from "../../io/pubsub/client";
import { transactionRowKey } from "../../transforms/bigtable_row";

const PROJECT = "local-project";
const INSTANCE = "e-commerce-data";
const TOPICS = { transaction: "gwp-transacoes", client: "gwp-clientes", score: "gwp-scores" };

/** The newest value of `qualifier` in `row`. */
function newest(row: ReadRow | undefined, qualifier: string): string | undefined {
  return row?.cells.find((c) => c.qualifier === qualifier)?.value;
}

describe("events through the gateway into Bigtable, event_id end to end", function () {
  this.timeout(120_000);
  useEmulators(["pubsub", "bigtable"]);
  let gateway: RunningGateway;
  let client: GatewayClient;
  const replies: Record<string, string> = {};
  const badEventId = newEventId();
  const where = { projectId: PROJECT, instanceId: INSTANCE };

  before(async function () {
    this.timeout(120_000);
    const pubsub = newPubSub(PROJECT);
    for (const topic of Object.values(TOPICS)) await (await pubsub.createTopic(topic))[0].createSubscription(`${topic}-pipeline`, { ackDeadlineSeconds: 30 });
    gateway = await startLocalGateway(PROJECT, TOPICS);
    client = new GatewayClient(gateway.address);
    const job: StreamingJob = {
      subscription: `${TOPICS.transaction}-pipeline`,
      project: PROJECT,
      instance: INSTANCE,
      table: "transacoes",
      aggregateTable: "receita_por_minuto",
      deadLetter: { kind: "bigtable", table: "dead_letters", instanceId: INSTANCE, createTable: true },
      createTables: true,
      gateway: {
        clientsSubscription: `${TOPICS.client}-pipeline`,
        scoresSubscription: `${TOPICS.score}-pipeline`,
        clientsTable: "clientes",
        scoresTable: "scores",
        eventsTable: "eventos",
      },
    };
    // First the customers' profile and scores, then (a second run of the same job) their purchases:
    // a score is "known" to a purchase once it is written, and here it is, deterministically.
    replies.profile = (await client.ingestClient(sampleClient(1, { user_id: "u1", city: "Pune" }))).event_id;
    // Two scores of one customer, the newer one (by event time) sent first.
    replies.newScore = (await client.ingestScore(sampleScore(1, { user_id: "u1", score: 720, event_time_ms: String(SAMPLE_EVENT_TIME_MS + 60_000) }))).event_id;
    replies.oldScore = (await client.ingestScore(sampleScore(1, { user_id: "u1", score: 100, event_time_ms: String(SAMPLE_EVENT_TIME_MS) }))).event_id;
    expect((await directRunner({ stopAfter: { records: 3 } }).run(streamingPipeline(job))).progress().sourceElements).to.equal(3);

    replies.t1 = (await client.ingestTransaction(sampleTransaction(1))).event_id;
    replies.t2 = (await client.ingestTransaction(sampleTransaction(2, { user_id: "u#2" }))).event_id;
    await pubsub.topic(TOPICS.transaction).publishMessage({ data: Buffer.from('{"Transaction_ID": "T-bad"}'), attributes: { event_id: badEventId, event_time_ms: String(SAMPLE_EVENT_TIME_MS) } });
    await pubsub.close();
    expect((await directRunner({ stopAfter: { records: 3 } }).run(streamingPipeline(job))).progress().sourceElements).to.equal(3);
  });

  after(async () => {
    client?.close();
    await gateway?.shutdown(5_000);
    await closeBigtableClients();
  });

  it("puts each transaction's event_id in a cell of its row", async () => {
    const rows = await readRows({ ...where, tableId: "transacoes" });
    const byTransaction = new Map(rows.map((r) => [newest(r, "transaction_id"), r]));
    expect(newest(byTransaction.get("T-1"), "event_id")).to.equal(replies.t1);
    expect(newest(byTransaction.get("T-2"), "event_id")).to.equal(replies.t2);
    expect(byTransaction.get("T-2")!.key).to.match(/^u%232#/);
  });

  it("gives each transaction row its customer's most recent score as of the purchase, when one is known", async () => {
    const rows = await readRows({ ...where, tableId: "transacoes" });
    const byTransaction = new Map(rows.map((r) => [newest(r, "transaction_id"), r]));
    // T-1 (u1) was bought at +1 s: the score of +0 s informs it, the one of +60 s came after.
    const t1 = byTransaction.get("T-1");
    expect(newest(t1, "customer_score")).to.equal("100");
    expect(newest(t1, "customer_score_event_id")).to.equal(replies.oldScore);
    expect(newest(t1, "customer_score_time")).to.equal(new Date(SAMPLE_EVENT_TIME_MS).toISOString());
    // u#2 has no score: the row says nothing rather than something made up.
    expect(newest(byTransaction.get("T-2"), "customer_score")).to.equal(undefined);
  });

  it("writes profiles to clientes and scores to scores, one row per customer, the newest by event time first", async () => {
    const [profile] = await readRows({ ...where, tableId: "clientes", prefix: "u1", limit: 1 });
    expect(profile.key).to.equal("u1");
    expect(newest(profile, "city")).to.equal("Pune");
    expect(newest(profile, "event_id")).to.equal(replies.profile);
    const [score] = await readRows({ ...where, tableId: "scores", prefix: "u1", limit: 1 });
    expect(score.cells.filter((c) => c.qualifier === "score").map((c) => c.value)).to.deep.equal(["720", "100"]);
    expect(newest(score, "event_id")).to.equal(replies.newScore);
  });

  it("says where each event went: its row, or its dead letter and why", async () => {
    const t1 = await whereabouts(replies.t1, where);
    expect(t1).to.include({ outcome: "row", type: "transaction", table: "transacoes" });
    expect(t1.outcome === "row" && t1.rowKey).to.equal(transactionRowKey({ userId: "u1", eventTimeMs: SAMPLE_EVENT_TIME_MS + 1000, transactionId: "T-1" } as never));
    expect(describeWhereabouts(replies.t1, t1)).to.contain(`event ${replies.t1}: a transaction, written to Bigtable table transacoes`).and.contain(`dados:event_id`);
    expect(await whereabouts(replies.oldScore, where)).to.include({ outcome: "row", type: "score", table: "scores", rowKey: "u1" });
    expect(await whereabouts(replies.profile, where)).to.include({ outcome: "row", type: "client", table: "clientes", rowKey: "u1" });

    const bad = await whereabouts(badEventId, where);
    expect(bad).to.include({ outcome: "dead_letter", step: "validateTransactions", field: "User_ID", deadLetters: "bigtable:dead_letters" });
    expect(bad.outcome === "dead_letter" && bad.reason).to.match(/User_ID is required/);
    expect(newest(bad.outcome === "dead_letter" ? bad.row : undefined, "event_id")).to.equal(badEventId);

    const never = newEventId();
    expect(await whereabouts(never, where)).to.deep.equal({ outcome: "unknown" });
  });

  it("npm run event: the row for a known event (exit 0), no trace (exit 1), a malformed id (exit 2)", () => {
    const event = (id: string) =>
      spawnSync(process.execPath, ["-r", "./scripts/register.js", "pipelines/event_cli.ts", "--event-id", id], { cwd: path.resolve(__dirname, "..", ".."), encoding: "utf8", timeout: 60_000 });
    const found = event(replies.t2.toLowerCase());
    expect(found.status, found.stderr).to.equal(0);
    expect(found.stdout).to.contain(`event ${replies.t2}: a transaction, written to Bigtable table transacoes, row u%232#`).and.contain('"T-2"');
    const unknown = event(newEventId());
    expect(unknown.status).to.equal(1);
    expect(unknown.stdout).to.contain("the pipeline has no trace of it");
    const malformed = event("T-2");
    expect(malformed.status).to.equal(2);
    expect(malformed.stderr.split("\n")[0]).to.equal("error: --event-id: event_id must be a ULID (26 Crockford base-32 characters), found 3 characters");
  });
});
