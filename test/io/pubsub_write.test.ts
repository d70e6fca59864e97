/**
 * writeToPubSub against Google's Pub/Sub emulator (started by useEmulators; the suite is skipped,
 * saying what to install, where the emulator is missing): publish from a pipeline, pull the
 * messages back with the v1 SubscriberClient and compare payloads, attributes and ordering keys.
 */
import { expect } from "chai";
import "apache-beam"; // first: the SDK's modules have an import cycle that only resolves from its root
import { directRunner as sdkDirectRunner } from "apache-beam/runners/direct_runner";
import { PubSub, v1 } from "@google-cloud/pubsub";
import { directRunner } from "../../runners/direct";
import { closePubSubPublishers, publishTarget, writeToPubSub } from "../../io/pubsub/write";
import { pubsubClientOptions } from "../../io/pubsub/client";
import { fromArray } from "../../testing";
import { useEmulators } from "../support/emulators";

const PROJECT = "test-project";

interface Order {
  id: string;
  user: string;
  amount: number;
}

interface Pulled {
  data: string;
  attributes: Record<string, string>;
  orderingKey: string;
}

describe("io: writeToPubSub (Pub/Sub emulator)", () => {
  useEmulators(["pubsub"]);
  let pubsub: PubSub;
  let subscriber: v1.SubscriberClient;
  let topics = 0;

  before(() => {
    pubsub = new PubSub({ projectId: PROJECT });
    subscriber = new v1.SubscriberClient(pubsubClientOptions(PROJECT) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
  });
  after(async () => {
    await closePubSubPublishers();
    await subscriber?.close();
    await pubsub?.close();
  });

  /** A new topic with a subscription (ordered if asked); returns their names. */
  async function newTopic(ordered = false): Promise<{ topic: string; subscription: string }> {
    const name = `orders-${++topics}`;
    const [topic] = await pubsub.createTopic(name);
    await topic.createSubscription(`${name}-sub`, { enableMessageOrdering: ordered });
    return { topic: name, subscription: `projects/${PROJECT}/subscriptions/${name}-sub` };
  }

  /** Pulls (and acknowledges) until `count` messages arrived; bounded by attempts. */
  async function pullAll(subscription: string, count: number): Promise<Pulled[]> {
    const pulled: Pulled[] = [];
    for (let attempt = 0; attempt < 50 && pulled.length < count; attempt++) {
      const [response] = await subscriber.pull({ subscription, maxMessages: 1000 }, { timeout: 5_000 });
      const received = response.receivedMessages ?? [];
      for (const r of received) {
        pulled.push({
          data: Buffer.from(r.message!.data as Uint8Array).toString("utf8"),
          attributes: { ...(r.message!.attributes ?? {}) },
          orderingKey: r.message!.orderingKey ?? "",
        });
      }
      if (received.length > 0) await subscriber.acknowledge({ subscription, ackIds: received.map((r) => r.ackId!) });
    }
    return pulled;
  }

  const orders: Order[] = Array.from({ length: 2500 }, (_, i) => ({ id: `o${i}`, user: `u${i % 7}`, amount: i / 4 }));

  for (const { name, runner } of [
    { name: "our direct runner", runner: () => directRunner() },
    { name: "the SDK's direct runner", runner: () => sdkDirectRunner() },
  ]) {
    it(`publishes every element as JSON with its attributes, on ${name}`, async () => {
      const { topic, subscription } = await newTopic();
      // Below one batch per in-flight slot on the SDK's runner: it drops the promise a source's
      // first step returns, so a sink that pushes back there loses elements (not so on ours).
      const input = name.startsWith("our") ? orders : orders.slice(0, 1500);
      await runner().run((root) => {
        root.apply(fromArray(input)).apply(
          writeToPubSub<Order>({ topic, projectId: PROJECT, attributes: (o) => ({ id: o.id, user: o.user }), batchSize: 400 }),
        );
      });
      const pulled = await pullAll(subscription, input.length);
      expect(pulled).to.have.length(input.length);
      const byId = new Map(pulled.map((p) => [p.attributes.id, p]));
      for (const o of input) {
        const p = byId.get(o.id)!;
        expect(JSON.parse(p.data)).to.deep.equal(o);
        expect(p.attributes).to.deep.equal({ id: o.id, user: o.user });
      }
    });
  }

  it("publishes bytes as they are, and keeps each ordering key's messages in order", async () => {
    const { topic, subscription } = await newTopic(true);
    const events = Array.from({ length: 900 }, (_, i) => ({ user: `u${i % 3}`, seq: i }));
    await directRunner().run((root) => {
      root
        .apply(fromArray(events))
        .map((e: { user: string; seq: number }) => new TextEncoder().encode(`${e.user}:${e.seq}`))
        .apply(writeToPubSub<Uint8Array>({ topic: `projects/${PROJECT}/topics/${topic}`, orderingKey: (b) => new TextDecoder().decode(b).split(":")[0], batchSize: 100 }));
    });
    const pulled = await pullAll(subscription, events.length);
    expect(pulled.map((p) => p.data).sort()).to.deep.equal(events.map((e) => `${e.user}:${e.seq}`).sort());
    for (const user of ["u0", "u1", "u2"]) {
      const seqs = pulled.filter((p) => p.orderingKey === user).map((p) => Number(p.data.split(":")[1]));
      expect(seqs).to.have.length(300);
      expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b), `messages of ${user} out of order`);
    }
  });

  it("fails the job naming the topic when it does not exist", async () => {
    const run = directRunner().run((root) => {
      root.apply(fromArray([{ a: 1 }])).apply(writeToPubSub({ topic: "no-such-topic", projectId: PROJECT }));
    });
    await run.then(
      () => expect.fail("should have failed"),
      (e: Error) => expect(e.message).to.include(`publishing 1 messages to 'projects/${PROJECT}/topics/no-such-topic' failed`).and.match(/NOT_FOUND/),
    );
  });
});

describe("io: writeToPubSub settings", () => {
  it("names the topic and the problem in bad settings", () => {
    expect(publishTarget("t1", "p")).to.deep.equal({ projectId: "p", topic: "projects/p/topics/t1" });
    expect(() => publishTarget("t1")).to.throw("writeToPubSub: topic 't1' needs a projectId");
    expect(() => publishTarget("projects/a/topics/t", "b")).to.throw("topic 'projects/a/topics/t' is in project 'a', not 'b'");
    expect(() => writeToPubSub({ topic: "t1", projectId: "p", batchSize: 5000 })).to.throw(/batchSize must be from 1 to 1000/);
    expect(() => writeToPubSub<string>({ topic: "t1", projectId: "p", orderingKey: (s) => s, maxInFlight: 4 })).to.throw(/maxInFlight must be 1/);
  });
});
