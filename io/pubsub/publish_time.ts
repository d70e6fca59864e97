/**
 * A pulled message's publish time in epoch milliseconds: what the source reads as a message's time
 * when no attribute gives one, and what tells the puller that a pull waited for the publisher.
 */
import type { protos } from "@google-cloud/pubsub";
import type { Millis } from "../../sdk/time";

/** The publish time in epoch milliseconds. */
export function publishTimeOf(message: protos.google.pubsub.v1.IPubsubMessage): Millis {
  const publish = message.publishTime;
  const seconds = publish?.seconds ?? 0;
  // The decoder gives a Long; Number() of a Long goes through its decimal string, per message.
  const wholeSeconds = typeof seconds === "object" ? seconds.toNumber() : Number(seconds);
  return wholeSeconds * 1000 + Math.floor((publish?.nanos ?? 0) / 1e6);
}
