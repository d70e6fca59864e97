/**
 * The ingest publisher against the real Pub/Sub emulator: one message per record of the sample,
 * the event time and transaction id attributes on valid rows, bad rows published as they are (and
 * counted), pacing by rate.
 */
import { newPubSub } from "../../io/pubsub/client";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { useEmulators } from "../support/emulators";
import { ingest } from "../../ingest/publisher";
import { EVENT_TIME_ATTRIBUTE, TRANSACTION_ID_ATTRIBUTE } from "../../ingest/messages";
import { pullMessages } from "../support/pubsub_pull";

const ROOT = path.resolve(__dirname, "..", "..");
const PROJECT = "local-project";
const CSV = path.join(ROOT, "fixtures/sample/transactions.csv");
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "fixtures/sample/manifest.json"), "utf8"));

describe("ingest: publishing the sample, one message per row", function () {
  this.timeout(60_000);
  useEmulators(["pubsub"]);

  it("publishes every record, valid rows with their event time and id, bad rows as they are", async () => {
    const pubsub = newPubSub(PROJECT);
    const [topic] = await pubsub.createTopic("ingest-test");
    const [subscription] = await topic.createSubscription("ingest-test-sub");
    await pubsub.close();
    const file = manifest.files["transactions.csv"];
    const counts = await ingest({ inputs: [CSV], topic: "ingest-test", projectId: PROJECT });
    expect(counts).to.include({ published: file.goodRecords + file.badRecords.length, valid: file.goodRecords, invalid: file.badRecords.length, complete: true });

    const messages = await pullMessages(PROJECT, subscription.name, counts.published);
    expect(messages).to.have.length(counts.published);
    const valid = messages.filter((m) => m.attributes[EVENT_TIME_ATTRIBUTE] !== undefined);
    expect(valid).to.have.length(file.goodRecords);
    for (const m of valid) {
      const row = JSON.parse(m.data);
      expect(m.attributes[TRANSACTION_ID_ATTRIBUTE]).to.equal(row.Transaction_ID);
      const [d, mo, y] = row.Purchase_Date.split("-").map(Number);
      const [h, mi, s] = row.Purchase_Time.split(":").map(Number);
      expect(Number(m.attributes[EVENT_TIME_ATTRIBUTE])).to.equal(Date.UTC(y, mo - 1, d, h, mi, s));
    }
    expect(new Set(valid.map((m) => m.attributes[TRANSACTION_ID_ATTRIBUTE])).size).to.equal(file.goodRecords);
  });

  it("reports progress while publishing slowly (not once per chunk of lines), and a stop before the end says so", async () => {
    const pubsub = newPubSub(PROJECT);
    await pubsub.createTopic("ingest-slow");
    await pubsub.close();
    const stop = new AbortController();
    const seen: number[] = [];
    // 2 020 rows in one chunk of lines at 20/s: a report per chunk would come after 100 s.
    const counts = await ingest({
      inputs: [CSV],
      topic: "ingest-slow",
      projectId: PROJECT,
      rate: 20,
      signal: stop.signal,
      onProgress: (c) => {
        seen.push(c.published);
        if (c.published >= 10) stop.abort();
      },
    });
    expect(seen.filter((published) => published > 0 && published < counts.published), `reports: ${seen.join(", ")}`).to.not.deep.equal([]);
    expect(counts.complete).to.equal(false);
    expect(counts.published).to.be.within(10, 20);
  });

  it("paces by rate: 200 messages at 1 000/s take about 0.2 s, not less", async () => {
    const pubsub = newPubSub(PROJECT);
    await pubsub.createTopic("ingest-rate");
    await pubsub.close();
    const lines = fs.readFileSync(CSV, "utf8").split("\n").slice(0, 201).join("\n");
    const small = path.join(fs.mkdtempSync(path.join(require("os").tmpdir(), "ingest-")), "small.csv");
    fs.writeFileSync(small, lines);
    const counts = await ingest({ inputs: [small], topic: "ingest-rate", projectId: PROJECT, rate: 1_000 });
    expect(counts.published).to.equal(200);
    expect(counts.seconds).to.be.at.least(0.19);
  });
});
