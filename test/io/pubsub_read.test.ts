/**
 * Reading Pub/Sub on our runner, against the real emulator: event time from the timestamp
 * attribute, deduplication on the id attribute, a topic read through a subscription of the job's
 * own, and — the point of it all — a message is acknowledged only once what it produced is written,
 * even when that is a windowed aggregate still open; or, under the runner's checkpoints, once a
 * checkpoint holds its part of the window, a restarted job carrying on from there.
 */
import { newPubSub } from "../../io/pubsub/client";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as beam from "apache-beam";
import * as combiners from "apache-beam/transforms/combiners";
import { useEmulators } from "../support/emulators";
import { directRunner, type DirectPipelineResult } from "../../runners/direct";
import { readFromPubSub, type PubSubMessage } from "../../io/pubsub/read";
import { unacknowledged } from "../support/pubsub_pull";
import { writeInBatches } from "../../io/batching_sink";
import { runJob } from "../../testing";
import { recordWrite, startRecording, takeRecording } from "./slow_destination";
import { minuteWindowsWithEarlyUpdates } from "../../sdk/windowing";

const PROJECT = "local-project";
let serial = 0;

/** A fresh topic and subscription, with `messages` published to it. */
async function topicWith(messages: { data: string; attributes?: Record<string, string> }[]): Promise<{ topic: string; subscription: string }> {
  const pubsub = newPubSub(PROJECT);
  const name = `read-test-${process.pid}-${serial++}`;
  const [topic] = await pubsub.createTopic(name);
  await topic.createSubscription(`${name}-sub`, { ackDeadlineSeconds: 10 });
  await Promise.all(messages.map((m) => topic.publishMessage({ data: Buffer.from(m.data), attributes: m.attributes })));
  await pubsub.close();
  return { topic: name, subscription: `${name}-sub` };
}


describe("io/pubsub_read on the Pub/Sub emulator", function () {
  this.timeout(60_000);
  useEmulators(["pubsub"]);

  it("takes event time from the timestamp attribute and drops duplicates of the id attribute", async () => {
    const { subscription } = await topicWith([
      { data: "a", attributes: { ts: "1700000000000", id: "1" } },
      { data: "b", attributes: { ts: "2023-11-14T22:13:21Z", id: "2" } },
      { data: "a", attributes: { ts: "1700000000000", id: "1" } },
      // Same id, other content: a conflict, delivered refused rather than dropped.
      { data: "a again", attributes: { ts: "1700000000000", id: "1" } },
    ]);
    const { outputs, result } = await runJob(
      (root) =>
        (root.apply(readFromPubSub({ subscription, timestampAttribute: "ts", idAttribute: "id", withAttributes: true })) as beam.PCollection<PubSubMessage>).map(
          (m: PubSubMessage, ctx: { t: ReturnType<typeof beam.timestampParam> }) => ({
            data: String.fromCharCode(...m.data),
            id: m.attributes.id,
            t: Number(ctx.t.lookup().toString()),
            refusal: m.refusal ?? "",
          }),
          { t: beam.timestampParam() },
        ),
      { runner: directRunner({ stopAfter: { idleMs: 1_500 } }) },
    );
    const seen = (outputs as { data: string; id: string; t: number; refusal: string }[]).map((o) => [o.data, o.id, o.t, o.refusal]).sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    expect(seen).to.have.length(3);
    expect(seen[0]).to.deep.equal(["a", "1", 1700000000000, ""]);
    expect(seen[1].slice(0, 3)).to.deep.equal(["a again", "1", 1700000000000]);
    expect(seen[1][3]).to.match(/^attribute id "1" was first seen on message \S+ with another payload: a conflict, not a redelivery$/);
    expect(seen[2]).to.deep.equal(["b", "2", Date.parse("2023-11-14T22:13:21Z"), ""]);
    const report = Object.values((result as DirectPipelineResult).progress().sources)[0];
    expect(report.duplicates).to.equal(1);
    expect(await unacknowledged(PROJECT, subscription, 2_000)).to.equal(0);
  });

  it("refuses a timestamp attribute no sink could store, keeping the publish time, instead of reading -1 as 2001", async () => {
    const bad = ["-1", "9007199254740993", "8640000000000000", "9999-12-31T23:59:59Z", "Tue, 01 Dec 2026 10:00:00 GMT", "yesterday"];
    const { subscription } = await topicWith(bad.map((ts, i) => ({ data: String(i), attributes: { ts } })));
    const before = Date.now() - 60_000;
    const { outputs } = await runJob(
      (root) =>
        (root.apply(readFromPubSub({ subscription, timestampAttribute: "ts", withAttributes: true })) as beam.PCollection<PubSubMessage>).map(
          (m: PubSubMessage, ctx: { t: ReturnType<typeof beam.timestampParam> }) => ({ ts: m.attributes.ts, t: Number(ctx.t.lookup().toString()), publish: m.publishTimeMs, refusal: m.refusal ?? "" }),
          { t: beam.timestampParam() },
        ),
      { runner: directRunner({ stopAfter: { idleMs: 1_500 } }) },
    );
    const read = outputs as { ts: string; t: number; publish: number; refusal: string }[];
    expect(read.map((o) => o.ts).sort()).to.deep.equal([...bad].sort());
    for (const o of read) {
      expect(o.t, o.ts).to.equal(o.publish);
      expect(o.t, o.ts).to.be.greaterThan(before);
      expect(o.refusal, o.ts).to.contain(`attribute ts must be whole milliseconds since the epoch or an RFC 3339 time, from 1970 to 2255-`);
      expect(o.refusal, o.ts).to.contain(`found ${JSON.stringify(o.ts)}`);
    }
  });

  it("reads a topic through a subscription of its own, deleted when the job ends", async () => {
    const pubsub = newPubSub(PROJECT);
    const name = `read-topic-${process.pid}`;
    const [topic] = await pubsub.createTopic(name);
    const run = runJob((root) => root.apply(readFromPubSub({ topic: name })), { runner: directRunner({ stopAfter: { records: 3 } }) });
    // The job's subscription exists only once the job started: publish until it has read three.
    const publishing = setInterval(() => void topic.publishMessage({ data: Buffer.from("x") }), 100);
    const { outputs } = await run.finally(() => clearInterval(publishing));
    expect(outputs.length).to.be.at.least(3);
    const [subscriptions] = await topic.getSubscriptions();
    expect(subscriptions).to.have.length(0);
    await pubsub.close();
  });

  it("hands back what a pull still on the wire brings after the job ended: the next job reads it well before its ack deadline", async () => {
    const { subscription } = await topicWith([]);
    // The first job ends with its pulls waiting on the empty subscription.
    await runJob((root) => root.apply(readFromPubSub({ subscription })), { runner: directRunner({ stopAfter: { idleMs: 500 } }) });
    const pubsub = newPubSub(PROJECT);
    const topic = pubsub.topic(subscription.replace(/-sub$/, ""));
    const sent = ["1", "2", "3", "4", "5"];
    await Promise.all(sent.map((data) => topic.publishMessage({ data: Buffer.from(data) })));
    await pubsub.close();
    // The subscription's ack deadline is 10 s: a message left hidden in a late pull would miss this job.
    const { outputs } = await runJob((root) => root.apply(readFromPubSub({ subscription })).map((bytes: unknown) => String.fromCharCode(...(bytes as Uint8Array))), {
      runner: directRunner({ stopAfter: { records: sent.length, durationMs: 5_000 } }),
    });
    expect([...(outputs as string[])].sort()).to.deep.equal(sent);
  });

  it("acknowledges a message only once the window it is in has fired and its pane is written", async () => {
    const t = Date.UTC(2024, 0, 1, 12, 0, 30);
    const { subscription } = await topicWith([1, 2, 3].map((n) => ({ data: String(n), attributes: { ts: String(t + n) } })));
    const recording = startRecording();
    const result = (await directRunner().runAsync((root) => {
      root
        .apply(readFromPubSub({ subscription, timestampAttribute: "ts" }))
        .map((bytes: unknown) => Number(String.fromCharCode(...(bytes as Uint8Array))))
        .apply(beam.windowInto(beam.fixedWindows(60)))
        .apply(beam.groupGlobally<number>().combining((n) => n as number, combiners.sum, "sum"))
        .apply(writeInBatches("sumSink", (batch: { sum: number }[]) => recordWrite(recording, batch.map((b) => b.sum), 0), { batchSize: 1 }));
    })) as DirectPipelineResult;
    const acknowledged = () => Object.values(result.progress().sources)[0]?.acknowledged ?? 0;
    // All three are read, and the minute they are in stays open: nothing may be acknowledged.
    const deadline = Date.now() + 10_000;
    while (result.progress().sourceElements < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 3_000));
    expect(result.progress().sourceElements).to.equal(3);
    expect(acknowledged()).to.equal(0);
    // Draining closes the window: the pane is written, then the three messages are acknowledged.
    result.drain();
    await result.waitUntilFinish();
    expect(takeRecording(recording).written).to.deep.equal([6]);
    expect(acknowledged()).to.equal(3);
    expect(await unacknowledged(PROJECT, subscription, 2_000)).to.equal(0);
  });

  it("under checkpoints, acknowledges while the window is open; a restart carries on, and a redelivered message a checkpoint holds is not counted again", async () => {
    const t = Date.UTC(2024, 0, 1, 12, 0, 30);
    const publish = (ns: number[]) => ns.map((n) => ({ data: String(n), attributes: { ts: String(t + n) } }));
    const { topic, subscription } = await topicWith(publish([1, 2, 3]));
    const checkpointDir = fs.mkdtempSync(path.join(os.tmpdir(), "pubsub-checkpoints-"));
    const job = (recording: string, stopAfter?: { idleMs: number }) =>
      directRunner({ checkpointDir, stopAfter }).runAsync((root) => {
        root
          .apply(readFromPubSub({ subscription, timestampAttribute: "ts" }))
          .map((bytes: unknown) => Number(String.fromCharCode(...(bytes as Uint8Array))))
          // Accumulating minutes with ten minutes of lateness (no early pane within the test), as the dashboard's.
          .apply(minuteWindowsWithEarlyUpdates<number>(600_000, { allowedLatenessMs: 600_000 }))
          .apply(beam.groupGlobally<number>().combining((n) => n as number, combiners.sum, "sum"))
          .apply(writeInBatches("sumSink", (batch: { sum: number }[]) => recordWrite(recording, batch.map((b) => b.sum), 0), { batchSize: 1 }));
      }) as Promise<DirectPipelineResult>;
    try {
      const firstWrites = startRecording();
      const first = await job(firstWrites);
      const source = (result: DirectPipelineResult) => Object.values(result.progress().sources)[0] ?? {};
      const deadline = Date.now() + 10_000;
      while ((source(first).acknowledged ?? 0) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      // The minute is still open (no pane written), and all three are acknowledged: a checkpoint holds their sum.
      expect(source(first).acknowledged).to.equal(3);
      expect(takeRecording(firstWrites).written).to.deep.equal([]);
      first.cancel();
      await first.waitUntilFinish();

      // The first job's last pulls expire (2 s) before anything is published: none takes a message.
      await new Promise((r) => setTimeout(r, 2_500));
      // A message whose part a checkpoint holds but whose acknowledgement never landed (a crash in
      // between): the checkpoint names it, and Pub/Sub delivers it again.
      const pubsub = newPubSub(PROJECT);
      const redelivered = await pubsub.topic(topic).publishMessage({ data: Buffer.from("10"), attributes: { ts: String(t + 10) } });
      await pubsub.close();
      const file = path.join(checkpointDir, "checkpoint.json");
      const checkpoint = JSON.parse(fs.readFileSync(file, "utf8"));
      const [stage] = Object.keys(checkpoint.sources);
      checkpoint.sources[stage].promised.push(redelivered);
      fs.writeFileSync(file, JSON.stringify(checkpoint));
      await topicPublish(topic, publish([4, 5]));

      const secondWrites = startRecording();
      const second = await job(secondWrites, { idleMs: 1_500 });
      await second.waitUntilFinish();
      // 1 + 2 + 3 from the checkpoint, 4 + 5 read now; the 10 is acknowledged, not added.
      expect(takeRecording(secondWrites).written).to.deep.equal([15]);
      expect(source(second).redeliveredDurable).to.equal(1);
      expect(await unacknowledged(PROJECT, subscription, 2_000)).to.equal(0);
    } finally {
      fs.rmSync(checkpointDir, { recursive: true, force: true });
    }
  });
});

async function topicPublish(topic: string, messages: { data: string; attributes?: Record<string, string> }[]): Promise<void> {
  const pubsub = newPubSub(PROJECT);
  await Promise.all(messages.map((m) => pubsub.topic(topic).publishMessage({ data: Buffer.from(m.data), attributes: m.attributes })));
  await pubsub.close();
}
