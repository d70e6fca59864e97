/**
 * A Pub/Sub outage in the middle of a streaming run, on Google's real emulators: the pipeline reaches
 * Pub/Sub through a TCP proxy; once the CSV half of the sample has been read, the proxy resets every
 * connection and refuses new ones for ~3 s while the JSON-lines half is published straight to the
 * emulator; then it lets Pub/Sub be reached again.
 *
 * Then: the job has kept running through the outage (its pulls and acknowledgements are retried; a
 * pull cut off mid-answer only delays its messages until their ack deadline), it ends DONE once every
 * message is read, the table holds every good row exactly (count and checksum), and nothing is left
 * unacknowledged.
 */
import { newPubSub } from "../../io/pubsub/client";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "apache-beam";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
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
const TOPIC = "transactions-pubsub-outage";
const SUBSCRIPTION = "transactions-pubsub-outage-pipeline";
const TABLE = "transacoes_pubsub_outage";
const OUTAGE_MS = 3_000;

describe("the streaming pipeline through a Pub/Sub outage", function () {
  this.timeout(90_000);
  const emulators = useEmulators(["pubsub", "bigtable"]);
  let proxy: TcpProxy | undefined;
  let result: DirectPipelineResult;
  let state: JobState_Enum | undefined;
  let published = 0;
  let readBeforeOutage = 0;
  let readAfterOutage = 0;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pubsub-outage-"));

  before(async function () {
    this.timeout(75_000);
    const pubsub = newPubSub(PROJECT);
    const [topic] = await pubsub.createTopic(TOPIC);
    await topic.createSubscription(SUBSCRIPTION, { ackDeadlineSeconds: 10 });
    await pubsub.close();
    published = (await ingest({ inputs: [SAMPLE_CSV], topic: TOPIC, projectId: PROJECT, eventTime: "row" })).published;
    proxy = await startTcpProxy(emulators.endpoints.pubsub!);
    // The source makes its client when it first reads: through the proxy.
    process.env.PUBSUB_EMULATOR_HOST = proxy.endpoint;
    try {
      result = (await directRunner().runAsync(
        streamingPipeline({
          subscription: SUBSCRIPTION,
          project: PROJECT,
          instance: INSTANCE,
          table: TABLE,
          aggregateTable: "receita_por_minuto_pubsub_outage",
          deadLetter: { kind: "files", prefix: path.join(workDir, "dead-letters") },
          createTables: true,
        }),
      )) as DirectPipelineResult;
      await until("the first half is read", 20_000, () => result.progress().sourceElements >= published);
      // From here on, only the pipeline goes through the proxy; the publisher talks to the emulator.
      process.env.PUBSUB_EMULATOR_HOST = emulators.endpoints.pubsub;
      proxy.cut();
      readBeforeOutage = result.progress().sourceElements;
      published += (await ingest({ inputs: [SAMPLE_JSONL], topic: TOPIC, projectId: PROJECT, eventTime: "row" })).published;
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      readAfterOutage = result.progress().sourceElements;
      proxy.restore();

      // Messages a cut pull had taken come back after their 10 s ack deadline.
      state = await drainOnceAllRead(result, published, 45_000);
    } finally {
      state = await stopIfStillRunning(result, state, "the Pub/Sub outage test gave up waiting");
      process.env.PUBSUB_EMULATOR_HOST = emulators.endpoints.pubsub;
      await closeBigtableClients();
    }
  });

  after(async () => {
    await proxy?.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it("kept running through the outage, reading nothing while cut off", () => {
    expect(proxy!.stats.reset).to.be.greaterThan(0);
    expect(readAfterOutage).to.equal(readBeforeOutage);
    expect(JobState_Enum[state!], String(result.error()?.stack ?? "")).to.equal("DONE");
  });

  it("writes every good row, exactly: count and checksum of cells", async () => {
    const expected = expectedRows(goodTransactions());
    expect(published).to.equal(expected.length + sampleBadRowCount(SAMPLE_FILES));
    const rows = await readRows({ projectId: PROJECT, instanceId: INSTANCE, tableId: TABLE });
    expect(rows.length).to.equal(expected.length);
    expect(checksum(rows)).to.equal(checksum(expected));
  });

  it("leaves nothing unacknowledged", async () => {
    const client = new v1.SubscriberClient(pubsubClientOptions(PROJECT) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
    try {
      const [response] = await client
        .pull({ subscription: `projects/${PROJECT}/subscriptions/${SUBSCRIPTION}`, maxMessages: 100 }, { timeout: 3_000 })
        .catch(() => [{ receivedMessages: [] }]);
      expect(response.receivedMessages ?? []).to.have.length(0);
    } finally {
      await client.close();
    }
  });
});
