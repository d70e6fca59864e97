/**
 * What a bundle sent to the runner's process (sdk/main_thread.ts: `io/in_process.ts` collections,
 * the batch pipeline's report) travels back from an SDK worker process in the bundle's
 * ProcessBundleResponse, as one MonitoringInfo of our own URN among the metrics. So it arrives with
 * the bundle's success and only then — a bundle retried after its worker died delivers once, as its
 * outputs do. Messages are v8-serialized (the structured clone of worker threads: plain data,
 * bigints, Maps, Dates).
 */
import * as v8 from "v8";
import type { MonitoringInfo } from "apache-beam/proto/metrics";

export const OUTBOX_URN = "beam-ts-native:main_thread_outbox:v1";
const OUTBOX_TYPE = "beam-ts-native:v8_serialized:v1";

/** The outbox as a MonitoringInfo, or none when it is empty. */
export function outboxInfo(messages: readonly [string, unknown][]): MonitoringInfo[] {
  if (messages.length === 0) return [];
  return [{ urn: OUTBOX_URN, type: OUTBOX_TYPE, payload: v8.serialize(messages), labels: {} }];
}

/** Splits a response's MonitoringInfos into the outbox's messages and the metrics proper. */
export function takeOutboxInfo(infos: readonly MonitoringInfo[]): { messages: [string, unknown][]; metrics: MonitoringInfo[] } {
  const messages: [string, unknown][] = [];
  const metrics: MonitoringInfo[] = [];
  for (const info of infos) {
    if (info.urn === OUTBOX_URN) messages.push(...(v8.deserialize(info.payload) as [string, unknown][]));
    else metrics.push(info);
  }
  return { messages, metrics };
}
