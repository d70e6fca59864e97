/**
 * Pub/Sub clients configured the way the high-level `PubSub` client resolves its endpoint — in
 * particular PUBSUB_EMULATOR_HOST, which the low-level (v1) clients alone do not read.
 */
import { PubSub, type ClientConfig } from "@google-cloud/pubsub";

/**
 * Against an emulator, naming the universe domain stops the auth library from probing for a GCE
 * metadata server (which is not there, and only prints a confusing warning).
 */
function emulatorSettings(): Partial<ClientConfig> {
  return process.env.PUBSUB_EMULATOR_HOST ? { emulatorMode: true, universeDomain: "googleapis.com" } : {};
}

/** A high-level client for `projectId` (the emulator's, when PUBSUB_EMULATOR_HOST is set); `extra` settings on top. */
export function newPubSub(projectId: string, extra: Partial<ClientConfig> = {}): PubSub {
  return new PubSub({ projectId, ...emulatorSettings(), ...extra });
}

/** Options for the v1 clients of `projectId`: the emulator's endpoint and insecure channel when PUBSUB_EMULATOR_HOST is set. */
export function pubsubClientOptions(projectId: string): ClientConfig {
  return { ...newPubSub(projectId).options };
}
