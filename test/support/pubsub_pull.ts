/**
 * Reading back what reached a Pub/Sub subscription (tests): pull and acknowledge until `expected`
 * messages arrived or `timeoutMs` passed; returns what arrived, so a test can also assert that
 * something did *not* arrive.
 */
import { v1 } from "@google-cloud/pubsub";
import { pubsubClientOptions } from "../../io/pubsub/client";

/** A message as pulled: its payload as text and its attributes. */
export interface PulledMessage {
  data: string;
  attributes: Record<string, string>;
}

/** Pulls from `subscription` (`projects/P/subscriptions/S`) until `expected` messages or `timeoutMs`. */
export async function pullMessages(projectId: string, subscription: string, expected: number, timeoutMs = 20_000): Promise<PulledMessage[]> {
  const client = new v1.SubscriberClient(pubsubClientOptions(projectId) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
  const messages: PulledMessage[] = [];
  try {
    const deadline = Date.now() + timeoutMs;
    while (messages.length < expected && Date.now() < deadline) {
      const wait = Math.max(500, Math.min(3_000, deadline - Date.now()));
      const [response] = await client.pull({ subscription, maxMessages: 1000 }, { timeout: wait }).catch(() => [{ receivedMessages: [] }]);
      const received = response.receivedMessages ?? [];
      if (received.length === 0) continue;
      for (const m of received) messages.push({ data: Buffer.from(m.message!.data as Uint8Array).toString(), attributes: { ...(m.message!.attributes ?? {}) } });
      await client.acknowledge({ subscription, ackIds: received.map((m) => m.ackId!) });
    }
  } finally {
    await client.close();
  }
  return messages;
}

/** How many messages one pull from subscription `subscription` (its short name) still gets: 0 once every message was acknowledged. */
export async function unacknowledged(projectId: string, subscription: string, timeoutMs = 3_000): Promise<number> {
  const client = new v1.SubscriberClient(pubsubClientOptions(projectId) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
  try {
    const [response] = await client
      .pull({ subscription: `projects/${projectId}/subscriptions/${subscription}`, maxMessages: 100 }, { timeout: timeoutMs })
      .catch(() => [{ receivedMessages: [] }]);
    return response.receivedMessages?.length ?? 0;
  } finally {
    await client.close();
  }
}
