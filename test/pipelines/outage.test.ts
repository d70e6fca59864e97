/**
 * A Bigtable outage in the middle of a streaming run, on Google's real emulators: the pipeline talks
 * to Bigtable through a TCP proxy; once the CSV half of the sample has flowed through, the proxy
 * resets every connection and refuses new ones for ~3 s (longer on a loaded machine, until the test has
 * looked at the tables 6 times) while the JSON-lines half is published, then
 * lets Bigtable be reached again (the emulator keeps its data in memory, so it is never restarted).
 *
 * Then: the job ends DONE, the table holds every good row exactly (count and checksum), no message was
 * acknowledged before its output was written (watched during the outage: what the source acknowledged
 * never exceeds the transaction rows plus the dead-letter rows in Bigtable), and nothing is left
 * unacknowledged.
 *
 * Acknowledgements must flow during the run for that check to bite, and the engine acknowledges a
 * message only once everything older is durable too. Hence two choices: messages carry their rows'
 * own event times (with "now", every message would wait for its minute's aggregate to expire, ten
 * minutes of allowed lateness after the minute), and dead letters go to Bigtable (a file sink holds
 * what it wrote until its files are finalized at the drain). Both also put every output of a message
 * in Bigtable, behind the outage.
 */
import { newPubSub } from "../../io/pubsub/client";
import { expect } from "chai";
import * as path from "path";
import "apache-beam";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { Bigtable } from "@google-cloud/bigtable";
import { v1 } from "@google-cloud/pubsub";
import { useEmulators } from "../support/emulators";
import { checksum, expectedRows, goodTransactions, SAMPLE_CSV, SAMPLE_FILES, SAMPLE_JSONL, sampleBadRowCount } from "../support/sample_rows";
import { startTcpProxy, type TcpProxy } from "../../chaos/tcp_proxy";
import { drainOnceAllRead, stopIfStillRunning, until } from "../support/live_job";
import { directRunner, type DirectPipelineResult } from "../../runners/direct";
import { streamingPipeline } from "../../pipelines/streaming";
import { ingest } from "../../ingest/publisher";
import { closeBigtableClients, readRows } from "../../io/bigtable";
import { pubsubClientOptions } from "../../io/pubsub/client";

const PROJECT = "local-project";
const INSTANCE = "e-commerce-data";
const TOPIC = "transactions-outage";
const SUBSCRIPTION = "transactions-outage-pipeline";
const TABLE = "transacoes";
const DEAD_LETTER_TABLE = "dead_letters";
const OUTAGE_MS = 3_000;
const POLL_MS = 200;
/** The test looks at the tables at least this often during the outage: on a loaded machine, where each look is slow, the outage lasts longer (up to {@link MAX_OUTAGE_MS}) so that the check has something to bite on. */
const MIN_OBSERVATIONS = 6;
/** The longest the outage lasts, within the chaos suite's 10 s outages the pipeline is known to ride out. */
const MAX_OUTAGE_MS = 10_000;

/** What the test saw at one instant of the outage. */
interface Observation {
  atMs: number;
  /** Transaction rows plus dead-letter rows: every output a message can have. */
  rowsInTables: number;
  acknowledged: number;
}

/** Rows in `tableId`, counted on `bigtable` from keys only (one stripped cell per row). */
async function countRows(bigtable: Bigtable, tableId: string): Promise<number> {
  const [rows] = await bigtable
    .instance(INSTANCE)
    .table(tableId)
    .getRows({ decode: false, filter: [{ row: { cellLimit: 1 } }, { value: { strip: true } }], gaxOptions: { timeout: 5_000 } });
  return rows.length;
}

describe("the streaming pipeline through a Bigtable outage", function () {
  this.timeout(90_000);
  const emulators = useEmulators(["pubsub", "bigtable"]);
  let proxy: TcpProxy | undefined;
  /** A client of the emulator itself, past the proxy: the test's eyes on the table during the outage. */
  let direct: Bigtable | undefined;
  let result: DirectPipelineResult;
  let state: JobState_Enum | undefined;
  let published = 0;
  let rowsBeforeOutage = 0;
  const observations: Observation[] = [];
  const rowsInTables = async () => (await countRows(direct!, TABLE)) + (await countRows(direct!, DEAD_LETTER_TABLE));

  before(async function () {
    this.timeout(75_000);
    const pubsub = newPubSub(PROJECT);
    const [topic] = await pubsub.createTopic(TOPIC);
    await topic.createSubscription(SUBSCRIPTION, { ackDeadlineSeconds: 10 });
    await pubsub.close();
    direct = new Bigtable({ projectId: PROJECT, apiEndpoint: emulators.endpoints.bigtable, metricsEnabled: false, universeDomain: "googleapis.com" });
    proxy = await startTcpProxy(emulators.endpoints.bigtable!);
    // The pipeline's sinks find Bigtable through this variable: during the run, it is the proxy.
    process.env.BIGTABLE_EMULATOR_HOST = proxy.endpoint;
    try {
      const csv = await ingest({ inputs: [SAMPLE_CSV], topic: TOPIC, projectId: PROJECT, eventTime: "row" });
      published = csv.published;
      result = (await directRunner().runAsync(
        streamingPipeline({
          subscription: SUBSCRIPTION,
          project: PROJECT,
          instance: INSTANCE,
          table: TABLE,
          aggregateTable: "receita_por_minuto",
          deadLetter: { kind: "bigtable", table: DEAD_LETTER_TABLE, projectId: PROJECT, instanceId: INSTANCE, createTable: true },
          createTables: true,
        }),
      )) as DirectPipelineResult;
      const acknowledged = () => Object.values(result.progress().sources)[0]?.acknowledged ?? 0;

      // The job is under way: it has read the first half and written and acknowledged some of it
      // (so its tables exist: creating them is not what the outage interrupts).
      await until("the first half is read and some of it acknowledged", 20_000, () => result.progress().sourceElements >= published && acknowledged() > 0);
      rowsBeforeOutage = await rowsInTables();

      proxy.cut();
      const cutAt = Date.now();
      const jsonl = ingest({ inputs: [SAMPLE_JSONL], topic: TOPIC, projectId: PROJECT, eventTime: "row" });
      const outageGoesOn = () => {
        const elapsedMs = Date.now() - cutAt;
        return elapsedMs < OUTAGE_MS || (observations.length < MIN_OBSERVATIONS && elapsedMs < MAX_OUTAGE_MS);
      };
      while (outageGoesOn()) {
        // Rows first, then acknowledgements: no row can be written during the outage, so an
        // acknowledged count above the rows means a message was acknowledged before its output was written.
        const rows = await rowsInTables();
        observations.push({ atMs: Date.now() - cutAt, rowsInTables: rows, acknowledged: acknowledged() });
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      published += (await jsonl).published;
      proxy.restore();

      state = await drainOnceAllRead(result, published, 30_000);
    } finally {
      state = await stopIfStillRunning(result, state, "the outage test gave up waiting");
      process.env.BIGTABLE_EMULATOR_HOST = emulators.endpoints.bigtable;
      await closeBigtableClients();
    }
  });

  after(async () => {
    await closeBigtableClients();
    await direct?.close();
    await proxy?.close();
  });

  it("ends DONE", () => {
    expect(JobState_Enum[state!], String(result.error()?.stack ?? "")).to.equal("DONE");
  });

  it("was cut off from Bigtable for the outage: connections reset, no row written meanwhile", () => {
    expect(proxy!.stats.reset).to.be.greaterThan(0);
    expect(observations.length).to.be.at.least(MIN_OBSERVATIONS);
    const counts = new Set(observations.map((o) => o.rowsInTables));
    // Writes already applied when the cut came may still show in the first count, none after.
    expect(counts.size, JSON.stringify(observations)).to.be.at.most(2);
    expect(Math.max(...counts), "rows were still to be written when Bigtable went away").to.be.lessThan(published);
  });

  it("acknowledged no message before its output was written", () => {
    expect(rowsBeforeOutage).to.be.greaterThan(0);
    for (const o of observations) {
      expect(o.acknowledged, `at ${o.atMs} ms into the outage: ${o.acknowledged} acknowledged, ${o.rowsInTables} rows`).to.be.at.most(o.rowsInTables);
    }
  });

  it("writes every good row, exactly: count and checksum of cells", async () => {
    const expected = expectedRows(goodTransactions());
    expect(published).to.equal(expected.length + sampleBadRowCount(SAMPLE_FILES));
    const rows = await readRows({ projectId: PROJECT, instanceId: INSTANCE, tableId: TABLE });
    expect(rows.length).to.equal(expected.length);
    expect(checksum(rows)).to.equal(checksum(expected));
    expect(await countRows(direct!, DEAD_LETTER_TABLE)).to.equal(sampleBadRowCount());
  });

  it("leaves nothing unacknowledged", async () => {
    const client = new v1.SubscriberClient(pubsubClientOptions(PROJECT) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
    try {
      const [response] = await client
        .pull({ subscription: `projects/${PROJECT}/subscriptions/${SUBSCRIPTION}`, maxMessages: 100 }, { timeout: 3_000 })
        .catch(() => [{ receivedMessages: [] }]);
      expect(response.receivedMessages ?? []).to.have.length(0);
      expect(Object.values(result.progress().sources)[0].acknowledged).to.equal(published);
    } finally {
      await client.close();
    }
  });
});
