/**
 * Dead-letter outputs: the Bigtable row mapping, JSON-lines files, and — against Google's
 * emulators, started by useEmulators (suites skip, saying what to install, where one is missing) —
 * a Pub/Sub topic and a Bigtable table.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "apache-beam"; // first: the SDK's modules have an import cycle that only resolves from its root
import { PubSub, v1 } from "@google-cloud/pubsub";
import { directRunner } from "../../runners/direct";
import { deadLetterRow, deadLetterRowKey, writeDeadLetters } from "../../io/dead_letters";
import { closeBigtableClients, readRows } from "../../io/bigtable";
import { closePubSubPublishers } from "../../io/pubsub/write";
import { pubsubClientOptions } from "../../io/pubsub/client";
import { fromArray } from "../../testing";
import type { DeadLetter } from "../../transforms/dead_letter";
import { ECOMMERCE_INSTANCE as INSTANCE } from "../../transforms/bigtable_row";
import { useEmulators } from "../support/emulators";

const TIME = Date.UTC(2024, 4, 1, 12, 0, 0);
const letters: DeadLetter[] = [
  { input: "T1,u1,,Books", origin: "orders.csv:2", step: "parseCsvLines", field: "Product_ID", reason: "missing value", timeMs: TIME },
  { input: "[1,2]", origin: "orders.jsonl:81", step: "parseJsonLines", reason: "expected a JSON object, found an array", timeMs: TIME + 1 },
  { input: '{"Price (Rs.)": -3}', step: "parsePubSubPayloads", field: "Price (Rs.)", reason: "must not be negative", timeMs: TIME + 2 },
];

describe("io: dead-letter rows", () => {
  it("keys a row by step and origin, or by a hash of the input, and carries every part of the dead letter", () => {
    expect(deadLetterRowKey(letters[0])).to.equal("parseCsvLines#orders.csv:2");
    expect(deadLetterRowKey(letters[2])).to.match(/^parsePubSubPayloads#sha256:[0-9a-f]{32}$/);
    expect(deadLetterRowKey({ ...letters[2], timeMs: TIME + 60_000 })).to.equal(deadLetterRowKey(letters[2]), "a replay must land on the same row");
    expect(deadLetterRowKey({ ...letters[0], origin: "pubsub:#7%" })).to.equal("parseCsvLines#pubsub:%237%25");
    expect(deadLetterRow(letters[0])).to.deep.equal({
      key: "parseCsvLines#orders.csv:2",
      family: "dead",
      cells: [
        { qualifier: "input", value: "T1,u1,,Books", timestampMicros: TIME * 1000 },
        { qualifier: "step", value: "parseCsvLines", timestampMicros: TIME * 1000 },
        { qualifier: "field", value: "Product_ID", timestampMicros: TIME * 1000 },
        { qualifier: "reason", value: "missing value", timestampMicros: TIME * 1000 },
        { qualifier: "time", value: "2024-05-01T12:00:00.000Z", timestampMicros: TIME * 1000 },
      ],
    });
    expect(deadLetterRow(letters[1]).cells.map((c) => c.qualifier)).to.deep.equal(["input", "step", "reason", "time"]);
  });
});

describe("io: writeDeadLetters to files", () => {
  it("writes one JSON line per dead letter", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dead-letters-"));
    try {
      await directRunner().run((root) => {
        root.apply(fromArray(letters)).apply(writeDeadLetters({ kind: "files", prefix: `${dir}/dead` }));
      });
      const text = fs.readFileSync(`${dir}/dead-00000-of-00001.jsonl`, "utf8");
      const read = text.split("\n").slice(0, -1).map((l) => JSON.parse(l) as DeadLetter);
      expect(read.sort((a, b) => a.timeMs - b.timeMs)).to.deep.equal(letters);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});

describe("io: writeDeadLetters to Pub/Sub (emulator)", () => {
  useEmulators(["pubsub"]);
  after(() => closePubSubPublishers());

  it("publishes each dead letter as JSON with step, field and origin attributes", async () => {
    const project = "local-project";
    const pubsub = new PubSub({ projectId: project });
    const subscriber = new v1.SubscriberClient(pubsubClientOptions(project) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
    try {
      const [topic] = await pubsub.createTopic("dead-letters");
      await topic.createSubscription("dead-letters-sub");
      await directRunner().run((root) => {
        root.apply(fromArray(letters)).apply(writeDeadLetters({ kind: "pubsub", topic: "dead-letters" }));
      });
      const subscription = `projects/${project}/subscriptions/dead-letters-sub`;
      const received: { data: DeadLetter; attributes: Record<string, string> }[] = [];
      for (let attempt = 0; attempt < 20 && received.length < letters.length; attempt++) {
        const [response] = await subscriber.pull({ subscription, maxMessages: 100 }, { timeout: 5_000 });
        for (const r of response.receivedMessages ?? []) {
          received.push({ data: JSON.parse(Buffer.from(r.message!.data as Uint8Array).toString("utf8")), attributes: { ...r.message!.attributes } });
          await subscriber.acknowledge({ subscription, ackIds: [r.ackId!] });
        }
      }
      received.sort((a, b) => a.data.timeMs - b.data.timeMs);
      expect(received.map((r) => r.data)).to.deep.equal(letters);
      expect(received.map((r) => r.attributes)).to.deep.equal([
        { step: "parseCsvLines", field: "Product_ID", origin: "orders.csv:2" },
        { step: "parseJsonLines", origin: "orders.jsonl:81" },
        { step: "parsePubSubPayloads", field: "Price (Rs.)" },
      ]);
    } finally {
      await subscriber.close();
      await pubsub.close();
    }
  });
});

describe("io: writeDeadLetters to Bigtable (emulator)", () => {
  useEmulators(["bigtable"]);
  after(() => closeBigtableClients());

  it("writes a row per dead letter; the same input rejected again lands on the same row, newest cells first", async () => {
    const run = (input: DeadLetter[]) =>
      directRunner().run((root) => {
        root.apply(fromArray(input)).apply(writeDeadLetters({ kind: "bigtable", table: "dead_letters", instanceId: INSTANCE, createTable: true }));
      });
    await run(letters);
    const replayedAt = TIME + 60_000;
    await run([{ ...letters[0], timeMs: replayedAt }]); // a replay: same input, rejected again later
    const rows = await readRows({ instanceId: INSTANCE, tableId: "dead_letters" });
    expect(rows.map((r) => r.key)).to.deep.equal(letters.map(deadLetterRowKey).sort());
    const first = rows.find((r) => r.key === "parseCsvLines#orders.csv:2")!;
    expect(first.cells.every((c) => c.family === "dead")).to.equal(true);
    const newest = new Map<string, { value: string; timestampMicros: number }>();
    for (const c of first.cells) if ((newest.get(c.qualifier)?.timestampMicros ?? -1) < c.timestampMicros) newest.set(c.qualifier, c);
    expect(Object.fromEntries([...newest].map(([q, c]) => [q, c.value]))).to.deep.equal({
      input: "T1,u1,,Books",
      step: "parseCsvLines",
      field: "Product_ID",
      reason: "missing value",
      time: new Date(replayedAt).toISOString(),
    });
  });
});
