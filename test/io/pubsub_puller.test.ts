/**
 * The Pub/Sub puller against the real emulator: a reader busy for long stretches gets more pulls on
 * the wire (the server is not left waiting on it), never more than the cap nor more messages than
 * the buffer bound, every message arrives once; and once the reader keeps up — here, on a
 * subscription gone empty — the depth falls back to the usual four. And on a backlog of 100 000,
 * where the emulator makes every pull slow while any message is outstanding, the gate (./pull_gate.ts)
 * engages from what it measured: pulls then wait for the reader's acknowledgements — what it measures
 * being the server's time, not a busy reader's.
 */
import { expect } from "chai";
import { v1 } from "@google-cloud/pubsub";
import { newPubSub, pubsubClientOptions } from "../../io/pubsub/client";
import { Leases } from "../../io/pubsub/leases";
import { MAX_BUFFERED, MAX_PULLS_IN_FLIGHT, PubSubPuller, PULLS_IN_FLIGHT } from "../../io/pubsub/puller";
import { SLOWDOWN } from "../../io/pubsub/pull_gate";
import { useEmulators } from "../support/emulators";

const PROJECT = "local-project";
const MESSAGES = 3_000;
/** The most messages the emulator answers a pull with. */
const EMULATOR_PULL_SIZE = 100;

/** A topic `name` and its subscription, holding {@link MESSAGES} messages; the subscription's full name. */
async function subscriptionWithMessages(name: string): Promise<string> {
  const pubsub = newPubSub(PROJECT);
  const [topic] = await pubsub.createTopic(name);
  await topic.createSubscription(`${name}-sub`, { ackDeadlineSeconds: 60 });
  const publisher = pubsub.topic(name, { batching: { maxMessages: 500, maxMilliseconds: 10 } });
  await Promise.all(Array.from({ length: MESSAGES }, (_, i) => publisher.publishMessage({ data: Buffer.from(`m${i}`) })));
  await pubsub.close();
  return `projects/${PROJECT}/subscriptions/${name}-sub`;
}

/**
 * A topic `name` with an empty subscription, and a puller with its leases reading it through
 * `reading(client)` (by default the client itself); `close` releases what it still holds.
 */
async function emptySubscriptionReader(name: string, reading = (client: v1.SubscriberClient) => client) {
  const pubsub = newPubSub(PROJECT);
  const [topic] = await pubsub.createTopic(name);
  await topic.createSubscription(`${name}-sub`, { ackDeadlineSeconds: 60 });
  const subscription = `projects/${PROJECT}/subscriptions/${name}-sub`;
  const client = new v1.SubscriberClient(pubsubClientOptions(PROJECT) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
  const reader = reading(client);
  const leases = new Leases(reader, subscription, 60);
  const puller = new PubSubPuller(reader, subscription, 60_000, leases);
  const close = async () => {
    const { unread } = await puller.settle();
    await leases.settle();
    await leases.release(unread.map((m) => m.ackId!));
    await client.close();
    await pubsub.close();
  };
  return { topic, subscription, client, puller, close };
}

describe("io/pubsub puller on the Pub/Sub emulator", function () {
  this.timeout(60_000);
  useEmulators(["pubsub"]);

  it("keeps more pulls on the wire for a reader busy between reads, within the bounds, and fewer again once it keeps up", async () => {
    const subscription = await subscriptionWithMessages(`puller-test-${process.pid}`);
    const client = new v1.SubscriberClient(pubsubClientOptions(PROJECT) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
    const puller = new PubSubPuller(client, subscription);
    try {
      const seen = new Set<string>();
      let deepest = puller.depth;
      let largestTake = 0;
      const deadline = Date.now() + 30_000;
      while (seen.size < MESSAGES && Date.now() < deadline) {
        const received = await puller.next(Date.now() + 2_000);
        largestTake = Math.max(largestTake, received.length);
        for (const m of received) seen.add(Buffer.from(m.message!.data as Uint8Array).toString());
        if (received.length > 0) await client.acknowledge({ subscription, ackIds: received.map((m) => m.ackId!) });
        deepest = Math.max(deepest, puller.depth);
        // A busy reader: a bundle's worth of work between two reads.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(seen.size).to.equal(MESSAGES);
      expect(deepest).to.be.greaterThan(PULLS_IN_FLIGHT);
      expect(deepest).to.be.at.most(MAX_PULLS_IN_FLIGHT);
      // The usual four pulls may still be on the wire when MAX_BUFFERED wait unread (100 a pull on the emulator); deeper ones never are.
      expect(largestTake).to.be.at.most(MAX_BUFFERED + PULLS_IN_FLIGHT * EMULATOR_PULL_SIZE);

      // The subscription is empty now: pulls come back with nothing, and the depth goes back down.
      for (let i = 0; i < MAX_PULLS_IN_FLIGHT && puller.depth > PULLS_IN_FLIGHT; i++) expect(await puller.next(Date.now() + 50)).to.have.length(0);
      expect(puller.depth).to.equal(PULLS_IN_FLIGHT);
    } finally {
      await puller.settle();
      await client.close();
    }
  });

  it("does not time a pull sent before the stream started: it waited for the publisher, not the server", async () => {
    const { topic, subscription, client, puller, close } = await emptySubscriptionReader(`puller-blind-test-${process.pid}`);
    const publishAfterMs = 400;
    try {
      const reading = puller.next(Date.now() + 5_000);
      await new Promise((resolve) => setTimeout(resolve, publishAfterMs));
      await topic.publishMessage({ data: Buffer.from("first") });
      const received = await reading;
      expect(received.map((m) => Buffer.from(m.message!.data as Uint8Array).toString())).to.deep.equal(["first"]);
      const stats = puller.stats;
      expect(stats.clearPullMs, JSON.stringify(stats)).to.be.NaN;
      expect(stats.overlappedPullMs, JSON.stringify(stats)).to.be.NaN;
      await client.acknowledge({ subscription, ackIds: received.map((m) => m.ackId!) });
    } finally {
      await close();
    }
  });

  it("does not time a pull that timed out before any message came: it waited for a publisher, not the server", async () => {
    // Pulls whose deadline has passed as they are sent: they time out, as on a server slower than the
    // deadline. (The emulator answers an empty pull in 1 ms to 1 s: a deadline of 5 ms was not always shorter.)
    const hurried = (client: v1.SubscriberClient) =>
      Object.create(client, {
        pull: { value: (request: object, options: object) => client.pull(request, { ...options, timeout: 0 }) },
      }) as v1.SubscriberClient;
    const { puller, close } = await emptySubscriptionReader(`puller-blind-timeout-test-${process.pid}`, hurried);
    try {
      expect(await puller.next(Date.now() + 300)).to.have.length(0);
      const stats = puller.stats;
      expect(stats.timedOutPulls, JSON.stringify(stats)).to.be.greaterThan(0);
      expect(stats.clearPullMs, JSON.stringify(stats)).to.be.NaN;
      expect(stats.overlappedPullMs, JSON.stringify(stats)).to.be.NaN;
    } finally {
      await close();
    }
  });

  it("times a pull by the server's answer, not by a reader whose thread was busy when it came", async () => {
    const subscription = await subscriptionWithMessages(`puller-busy-test-${process.pid}`);
    const client = new v1.SubscriberClient(pubsubClientOptions(PROJECT) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
    const leases = new Leases(client, subscription, 60);
    const puller = new PubSubPuller(client, subscription, 60_000, leases);
    const busyMs = 700;
    try {
      // A pipeline's bundle: the thread runs synchronously while the next pulls are answered.
      for (let round = 0; round < 4; round++) {
        const now = Date.now();
        for (const { ackId, message } of await puller.next(now + 5_000)) leases.hold(ackId!, message!.messageId!, round, now, 1, now);
        while (Date.now() < now + busyMs);
      }
      const stats = puller.stats;
      expect(stats.overlappedPullMs, JSON.stringify(stats)).to.be.below(busyMs);
      expect(stats.pullGating).to.equal(0);
    } finally {
      leases.commit(Infinity);
      const { unread } = await puller.settle();
      await leases.settle();
      await leases.release(unread.map((m) => m.ackId!));
      await client.close();
    }
  });

  it("gates its pulls on a large backlog, where pulls with messages outstanding are slow, and reads every message once", async () => {
    const name = `puller-gate-test-${process.pid}`;
    const backlog = 100_000;
    const options = pubsubClientOptions(PROJECT) as ConstructorParameters<typeof v1.SubscriberClient>[0];
    const publisher = new v1.PublisherClient(options);
    const client = new v1.SubscriberClient(options);
    const topic = `projects/${PROJECT}/topics/${name}`;
    const subscription = `projects/${PROJECT}/subscriptions/${name}`;
    await publisher.createTopic({ name: topic });
    await client.createSubscription({ name: subscription, topic, ackDeadlineSeconds: 60 });
    for (let sent = 0; sent < backlog; sent += 4_000) {
      await Promise.all([0, 1, 2, 3].map((lane) => publisher.publish({ topic, messages: Array.from({ length: 1_000 }, (_, i) => ({ data: Buffer.from(`m${sent + lane * 1_000 + i}`) })) })));
    }
    await publisher.close();
    const leases = new Leases(client, subscription, 60);
    const puller = new PubSubPuller(client, subscription, 60_000, leases);
    try {
      const seen = new Set<string>();
      let read = 0;
      let batch = 0;
      let gatedPulls = 0;
      const deadline = Date.now() + 20_000;
      // A reader that acknowledges each pull's messages 10 ms after reading them (its writes).
      while (gatedPulls < 20 && Date.now() < deadline) {
        const received = await puller.next(Date.now() + 1_000);
        const now = Date.now();
        const eventTime = batch++;
        for (const { ackId, message } of received) {
          seen.add(Buffer.from(message!.data as Uint8Array).toString());
          leases.hold(ackId!, message!.messageId!, eventTime, now, 1, now);
        }
        read += received.length;
        setTimeout(() => leases.commit(eventTime + 1), 10);
        gatedPulls = puller.stats.gatedPulls;
      }
      const stats = puller.stats;
      expect(stats.pullGating, JSON.stringify(stats)).to.equal(1);
      expect(stats.gatedPulls).to.be.at.least(20);
      expect(stats.overlappedPullMs).to.be.at.least(SLOWDOWN * stats.clearPullMs);
      expect(seen.size, "no message twice").to.equal(read);
      expect(puller.emptySince(), "a backlog is not an empty subscription").to.equal(undefined);
    } finally {
      const { unread } = await puller.settle();
      // The last commits (10 ms after their reads) first.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await leases.settle();
      await leases.release(unread.map((m) => m.ackId!));
      await client.deleteSubscription({ subscription });
      await client.close();
    }
  });
  // Last: the pulls it leaves waiting on the emulator for its empty subscription slowed the next test's pulls.
  it("does not time a pull that waited for a message published after it was sent: a live stream, not a backlog", async () => {
    const { topic, subscription, client, puller, close } = await emptySubscriptionReader(`puller-live-test-${process.pid}`);
    const received: string[] = [];
    try {
      // One message at a time, 150 ms apart: each pull answers with one, as many as the largest
      // answer (a full pull), after waiting for it to be published.
      for (let i = 0; i < 10; i++) {
        const reading = puller.next(Date.now() + 5_000);
        await new Promise((resolve) => setTimeout(resolve, 150));
        await topic.publishMessage({ data: Buffer.from(`m${i}`) });
        for (const m of await reading) {
          received.push(Buffer.from(m.message!.data as Uint8Array).toString());
          await client.acknowledge({ subscription, ackIds: [m.ackId!] });
        }
      }
      expect(received).to.have.length(10);
      const stats = puller.stats;
      expect(stats.clearPullMs, JSON.stringify(stats)).to.be.NaN;
      expect(stats.overlappedPullMs, JSON.stringify(stats)).to.be.NaN;
    } finally {
      await close();
    }
  });
});
