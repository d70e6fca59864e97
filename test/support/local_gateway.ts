/**
 * A gateway for the end-to-end tests: in this process, on a free port, publishing each event type
 * to its topic on the Pub/Sub emulator as soon as it arrives (small batches, 2 ms), logging nothing.
 */
import { startGateway, type RunningGateway, type GatewayOptions } from "../../ingest/gateway/server";
import { silentLogger } from "../../ingest/gateway/logger";

/** Starts a gateway publishing to `topics` of `projectId`; shut it down after. */
export function startLocalGateway(projectId: string, topics: GatewayOptions["publisher"]["topics"]): Promise<RunningGateway> {
  return startGateway({
    port: 0,
    maxMessageBytes: 1 << 20,
    maxBatchEvents: 100,
    maxStreamRejections: 10,
    log: silentLogger,
    publisher: { projectId, topics, maxInFlight: 1000, batchMaxMessages: 100, batchMaxMs: 2, publishTimeoutMs: 10_000 },
  });
}
