/**
 * `node -r ./scripts/register.js bench/pull_gate.ts [--backlog N] [--seconds S] [--hold-ms MS]`:
 * how fast a reader that acknowledges only after its writes drains a large backlog on Google's
 * Pub/Sub emulator, with the pull gate (io/pubsub/pull_gate.ts) and without it. The emulator is
 * started for the run (and stopped, also on failure); N messages of 200 bytes (default 300 000) are
 * published to one subscription, then read for S seconds (default 30) by a PubSubPuller with its
 * Leases (the gate) and then by one without them (pulls always overlap), each message held `hold-ms`
 * (default 20: a write) before it is committed and acknowledged. One JSON line: messages/s of each,
 * the backlog each began at, what the gate measured.
 */
import { v1 } from "@google-cloud/pubsub";
import { startEmulators } from "../emulators";
import { pubsubClientOptions } from "../io/pubsub/client";
import { Leases } from "../io/pubsub/leases";
import { positiveNumberFlag, runBench, wholeNumberFlag, type Bench, type BenchFlags } from "./command";
import { PubSubPuller, type PullStats } from "../io/pubsub/puller";

const PROJECT = "local-project";

const BENCH: Bench = {
  name: "bench/pull_gate.ts",
  usage: "node -r ./scripts/register.js bench/pull_gate.ts [flags]",
  summary: "How fast a reader that acknowledges only after its writes drains a large backlog on Google's\nPub/Sub emulator, with the pull gate and without it; one JSON line on stdout (bench/README.md).",
  flags: [
    { name: "backlog", type: "string", value: "N", default: "300000", help: "messages published before the reads" },
    { name: "seconds", type: "string", value: "S", default: "30", help: "how long each reader reads" },
    { name: "hold-ms", type: "string", value: "MS", default: "20", help: "how long each message is held before its acknowledgement (a write)" },
  ],
};

/** Reads `subscription` for `seconds`, holding each pull's messages `holdMs` before acknowledging them. */
async function drain(client: v1.SubscriberClient, subscription: string, gated: boolean, seconds: number, holdMs: number) {
  const leases = new Leases(client, subscription, 60);
  const puller = new PubSubPuller(client, subscription, 60_000, gated ? leases : undefined);
  let read = 0;
  let batch = 0;
  const started = Date.now();
  while (Date.now() - started < seconds * 1000) {
    const received = await puller.next(Date.now() + 100);
    const now = Date.now();
    const eventTime = batch++;
    for (const { ackId, message } of received) leases.hold(ackId!, message!.messageId!, eventTime, now, 200, now);
    read += received.length;
    setTimeout(() => leases.commit(eventTime + 1), holdMs);
  }
  const elapsed = (Date.now() - started) / 1000;
  const stats: PullStats = puller.stats;
  const { unread } = await puller.settle();
  await new Promise((resolve) => setTimeout(resolve, holdMs + 10));
  leases.commit(Infinity);
  await leases.release(unread.map((m) => m.ackId!));
  return { msgsPerS: Math.round(read / elapsed), read, stats };
}

async function main(flags: BenchFlags): Promise<void> {
  const backlog = wholeNumberFlag(flags, "backlog");
  const seconds = positiveNumberFlag(flags, "seconds");
  const holdMs = wholeNumberFlag(flags, "hold-ms", 0);
  const emulators = await startEmulators(["pubsub"]);
  try {
    Object.assign(process.env, emulators.env);
    const options = pubsubClientOptions(PROJECT) as ConstructorParameters<typeof v1.SubscriberClient>[0];
    const publisher = new v1.PublisherClient(options);
    const client = new v1.SubscriberClient(options);
    const topic = `projects/${PROJECT}/topics/pull-gate`;
    const subscription = `projects/${PROJECT}/subscriptions/pull-gate`;
    await publisher.createTopic({ name: topic });
    await client.createSubscription({ name: subscription, topic, ackDeadlineSeconds: 60 });
    const data = Buffer.alloc(200, 120);
    let sent = 0;
    const lane = async () => {
      for (; sent < backlog; ) {
        const n = Math.min(1_000, backlog - sent);
        sent += n;
        await publisher.publish({ topic, messages: Array.from({ length: n }, () => ({ data })) });
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
    const withGate = await drain(client, subscription, true, seconds, holdMs);
    const withoutGate = await drain(client, subscription, false, seconds, holdMs);
    await publisher.close();
    await client.close();
    process.stdout.write(
      `${JSON.stringify({
        bench: "pull_gate",
        backlog,
        holdMs,
        seconds,
        gatedMsgsPerS: withGate.msgsPerS,
        overlappedMsgsPerS: withoutGate.msgsPerS,
        overlappedBacklogAtStart: backlog - withGate.read,
        gate: withGate.stats,
        withoutGate: { pullMs: withoutGate.stats.pullMs, pulls: withoutGate.stats.pulls },
      })}\n`,
    );
  } finally {
    await emulators.stop();
  }
}

runBench(BENCH, main);
