/**
 * The gateway's gRPC server: `EventIngestionService`, the standard health service
 * (`grpc.health.v1.Health`, `grpc-health-check`) and server reflection (`@grpc/reflection`, so
 * grpcurl-style tools list and call the service without the `.proto`), over TLS when given a
 * certificate, with a shared token when given one.
 *
 * Shutdown ({@link RunningGateway.shutdown}) is graceful: health turns NOT_SERVING, the server
 * stops accepting calls and waits for those in flight — each ends once Pub/Sub has settled its
 * events — then the publisher flushes and closes. Past the grace period the remaining calls are
 * cancelled: their callers see an error, never an OK for an event that was not published.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { HealthImplementation, protoPath as healthProtoPath } from "grpc-health-check";
import { ReflectionService } from "@grpc/reflection";
import type { Logger } from "./logger";
import { ingestionService, packageDefinition, SERVICE_NAME } from "./proto";
import { EventPublisher, type PublisherOptions } from "./publisher";
import { ingestionHandlers } from "./service";

/** How to run the gateway. */
export interface GatewayOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port; 0 picks a free one (see {@link RunningGateway.port}). */
  port: number;
  /** PEM certificate chain and private key: TLS instead of plaintext. */
  tls?: { certChain: Buffer; privateKey: Buffer };
  /** Shared token required of every ingestion call. */
  token?: string;
  /** Largest request accepted, in bytes; larger ones are refused with RESOURCE_EXHAUSTED. */
  maxMessageBytes: number;
  maxBatchEvents: number;
  maxStreamRejections: number;
  publisher: PublisherOptions;
  log: Logger;
}

/** A gateway that is listening. */
export interface RunningGateway {
  port: number;
  /** `host:port` for clients. */
  address: string;
  publisher: EventPublisher;
  /** Graceful shutdown (see the module comment); resolves once everything is closed. Idempotent. */
  shutdown(graceMs: number): Promise<void>;
}

/** Starts the gateway; resolves once it listens. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const publisher = await EventPublisher.open(options.publisher);
  const server = new grpc.Server({
    "grpc.max_receive_message_length": options.maxMessageBytes,
    "grpc.max_send_message_length": options.maxMessageBytes,
  });
  server.addService(
    ingestionService(),
    ingestionHandlers({ publisher, token: options.token, maxBatchEvents: options.maxBatchEvents, maxStreamRejections: options.maxStreamRejections, log: options.log }),
  );
  const health = new HealthImplementation({ "": "SERVING" });
  health.setStatus(SERVICE_NAME, "SERVING");
  health.addToServer(server);
  // Reflection describes both services this server offers (grpcurl's `list` shows them).
  new ReflectionService({ ...packageDefinition(), ...protoLoader.loadSync(healthProtoPath) }).addToServer(server);

  const host = options.host ?? "127.0.0.1";
  const credentials = options.tls
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: options.tls.certChain, private_key: options.tls.privateKey }], false)
    : grpc.ServerCredentials.createInsecure();
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${options.port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
    );
  } catch (error) {
    server.forceShutdown();
    await publisher.close();
    throw new Error(`cannot listen on ${host}:${options.port}: ${(error as Error).message}`);
  }
  const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  options.log("info", "gateway listening", { address, tls: options.tls !== undefined, token: options.token !== undefined, topics: options.publisher.topics, max_in_flight: options.publisher.maxInFlight });

  let stopping: Promise<void> | undefined;
  const shutdown = (graceMs: number) => {
    stopping ??= (async () => {
      health.setStatus("", "NOT_SERVING");
      health.setStatus(SERVICE_NAME, "NOT_SERVING");
      const inFlight = publisher.eventsInFlight;
      options.log("info", "gateway stopping: no new calls; finishing those in flight", { events_in_flight: inFlight, grace_ms: graceMs });
      const graceful = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve(false);
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      await publisher.close();
      options.log(graceful ? "info" : "warn", graceful ? "gateway stopped" : "gateway stopped: grace period over, calls still in flight were cancelled", {
        events_in_flight: publisher.eventsInFlight,
      });
    })();
    return stopping;
  };
  return { port, address, publisher, shutdown };
}
