/**
 * Options for the low-level (v1) Pub/Sub clients, resolved the way the high-level `PubSub` client
 * resolves them — in particular PUBSUB_EMULATOR_HOST, which the v1 clients alone do not read.
 */
import { PubSub, type ClientConfig } from "@google-cloud/pubsub";

/** Client options for `projectId`: the emulator's endpoint and insecure channel when PUBSUB_EMULATOR_HOST is set. */
export function pubsubClientOptions(projectId: string): ClientConfig {
  return { ...new PubSub({ projectId }).options };
}
