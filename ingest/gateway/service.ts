/**
 * The handlers of `EventIngestionService`. Each call is checked in this order: the shared token
 * (UNAUTHENTICATED), the deadline (DEADLINE_EXCEEDED when it has already passed: nothing is
 * published for a caller that has given up), the events (INVALID_ARGUMENT with every field
 * violation), the in-flight window (RESOURCE_EXHAUSTED); then the events are published and the
 * reply waits for Pub/Sub: OK means Pub/Sub has the event.
 */
import { createHash, timingSafeEqual } from "crypto";
import * as grpc from "@grpc/grpc-js";
import { checkClient, checkScore, checkTransaction, type CheckedEvent, type GatewayEvent } from "./events";
import type { Logger } from "./logger";
import type { ClientData, IngestBatchRequest, IngestBatchResponse, IngestEvent, IngestionResponse, IngestStreamSummary, ItemStatus, RpcStatus, ScoreData, TransactionData } from "./proto";
import { PublishFailure, type EventPublisher } from "./publisher";
import { badRequestStatus, callError, okStatus, plainStatus } from "./rpc_status";

/** What the handlers need. */
export interface ServiceOptions {
  publisher: EventPublisher;
  /** The shared token callers must send as `authorization: Bearer <token>`; none: no check. */
  token?: string;
  /** Most events in one IngestBatch call. */
  maxBatchEvents: number;
  /** Rejected events of one stream after which the stream is failed (its summary must stay bounded). */
  maxStreamRejections: number;
  log: Logger;
}

/** What every kind of call has: its metadata and its deadline. */
type IncomingCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, "metadata" | "getDeadline">;

/** Events a stream reads ahead of the window before it stops reading (HTTP/2 flow control then holds the client). */
const STREAM_READ_AHEAD = 64;

/** The service implementation, for `server.addService(ingestionService(), …)`. */
export function ingestionHandlers(options: ServiceOptions): grpc.UntypedServiceImplementation {
  const { publisher, log } = options;
  const expectedToken = options.token === undefined ? undefined : digest(options.token);

  /** Why the call may not go on, or undefined. */
  function refusal(call: IncomingCall): RpcStatus | undefined {
    if (expectedToken !== undefined) {
      const [header] = call.metadata.get("authorization");
      const given = typeof header === "string" && header.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined;
      if (given === undefined || !timingSafeEqual(digest(given), expectedToken)) {
        return plainStatus(grpc.status.UNAUTHENTICATED, "a valid 'authorization: Bearer <token>' header is required");
      }
    }
    if (deadlineMs(call) <= Date.now()) return plainStatus(grpc.status.DEADLINE_EXCEEDED, "the call's deadline had passed when it arrived; nothing was published");
    return undefined;
  }

  const windowFull = () => plainStatus(grpc.status.RESOURCE_EXHAUSTED, "the gateway is at its limit of events in flight to Pub/Sub; retry with backoff");

  function failureStatus(error: unknown): RpcStatus {
    if (error instanceof PublishFailure) return plainStatus(error.code, error.message);
    return plainStatus(grpc.status.INTERNAL, `unexpected: ${(error as Error).message}`);
  }

  function unary<T>(check: (m: T, prefix: string, now: number) => CheckedEvent, subject: string): grpc.handleUnaryCall<T, IngestionResponse> {
    return (call, callback) => {
      const refused = refusal(call);
      if (refused) return callback(callError(refused));
      const checked = check(call.request, "", Date.now());
      if ("violations" in checked) {
        log("debug", "refused an invalid event", { subject, event_id: checked.eventId, violations: checked.violations });
        return callback(callError(badRequestStatus(checked.violations, subject)));
      }
      if (!publisher.admit(1)) return callback(callError(windowFull()));
      const event = checked.ok;
      publisher.publish(event).then(
        (messageId) => callback(null, { event_id: event.eventId, message_id: messageId }),
        (error: unknown) => {
          log("warn", "publish failed", { event_id: event.eventId, type: event.type, error: (error as Error).message });
          callback(callError(failureStatus(error)));
        },
      );
    };
  }

  const ingestBatch: grpc.handleUnaryCall<IngestBatchRequest, IngestBatchResponse> = (call, callback) => {
    const refused = refusal(call);
    if (refused) return callback(callError(refused));
    const events = call.request.events;
    if (events.length === 0) return callback(callError(badRequestStatus([{ field: "events", description: "a batch needs at least one event" }], "batch")));
    if (events.length > options.maxBatchEvents) {
      return callback(callError(badRequestStatus([{ field: "events", description: `a batch holds at most ${options.maxBatchEvents} events, found ${events.length}` }], "batch")));
    }
    const now = Date.now();
    const checked = events.map((e, i) => checkEvent(e, `events[${i}].`, now));
    const valid = checked.filter((c): c is { ok: GatewayEvent } => "ok" in c).length;
    if (!publisher.admit(valid)) return callback(callError(windowFull()));
    const items = checked.map(async (c, index): Promise<ItemStatus> => {
      if ("violations" in c) return item(index, c.eventId, "", badRequestStatus(c.violations, `event ${index}`));
      try {
        return item(index, c.ok.eventId, await publisher.publish(c.ok), okStatus());
      } catch (error) {
        return item(index, c.ok.eventId, "", failureStatus(error));
      }
    });
    Promise.all(items).then((statuses) => {
      const accepted = statuses.filter((s) => s.status.code === grpc.status.OK).length;
      callback(null, { items: statuses, accepted, rejected: statuses.length - accepted });
    });
  };

  const ingestStream: grpc.handleClientStreamingCall<IngestEvent, IngestStreamSummary> = (call, callback) => {
    const refused = refusal(call);
    if (refused) return callback(callError(refused));
    const waiting: { index: number; checked: CheckedEvent }[] = [];
    const publishing = new Set<Promise<void>>();
    const rejections: ItemStatus[] = [];
    let received = 0;
    let accepted = 0;
    let ended = false;
    let done = false;
    let pumping = false;

    const finish = (error?: RpcStatus) => {
      if (done) return;
      done = true;
      if (error) callback(callError(error));
      else callback(null, { accepted, rejected: rejections.length, rejections });
    };
    const reject = (index: number, eventId: string | undefined, status: RpcStatus) => {
      rejections.push(item(index, eventId, "", status));
      if (rejections.length > options.maxStreamRejections) {
        finish(plainStatus(grpc.status.INVALID_ARGUMENT, `more than ${options.maxStreamRejections} events of this stream were not accepted; stopped after event ${index}, ${accepted} accepted before; the first rejection: ${rejections[0].status.message}`));
        call.destroy();
      }
    };
    const settleIfEnded = () => {
      if (ended && waiting.length === 0 && publishing.size === 0) finish();
    };
    // Publishes what was read, in order, as the window allows; reading pauses while it is full.
    const pump = async () => {
      if (pumping) return;
      pumping = true;
      while (waiting.length > 0 && !done) {
        const { index, checked } = waiting[0];
        if ("violations" in checked) {
          waiting.shift();
          reject(index, checked.eventId, badRequestStatus(checked.violations, `event ${index}`));
          continue;
        }
        if (!publisher.admit(1)) {
          await publisher.whenRoom();
          continue;
        }
        waiting.shift();
        const event = checked.ok;
        const publish = publisher.publish(event).then(
          () => void accepted++,
          (error: unknown) => reject(index, event.eventId, failureStatus(error)),
        );
        publishing.add(publish);
        void publish.finally(() => {
          publishing.delete(publish);
          settleIfEnded();
        });
        if (call.isPaused() && waiting.length < STREAM_READ_AHEAD / 2) call.resume();
      }
      pumping = false;
      settleIfEnded();
    };
    call.on("data", (e: IngestEvent) => {
      waiting.push({ index: received, checked: checkEvent(e, "", Date.now()) });
      received++;
      if (waiting.length >= STREAM_READ_AHEAD) call.pause();
      void pump();
    });
    call.on("end", () => {
      ended = true;
      settleIfEnded();
    });
    call.on("cancelled", () => {
      done = true;
      waiting.length = 0;
    });
    call.on("error", () => {
      done = true;
      waiting.length = 0;
    });
  };

  return {
    IngestClient: unary<ClientData>(checkClient, "client"),
    IngestTransaction: unary<TransactionData>(checkTransaction, "transaction"),
    IngestScore: unary<ScoreData>(checkScore, "score"),
    IngestBatch: ingestBatch,
    IngestStream: ingestStream,
  } as grpc.UntypedServiceImplementation;
}

/** Checks one event of a batch or stream, its fields named under `prefix`. */
function checkEvent(e: IngestEvent, prefix: string, now: number): CheckedEvent {
  switch (e.event) {
    case "client":
      return checkClient(e.client!, `${prefix}client.`, now);
    case "transaction":
      return checkTransaction(e.transaction!, `${prefix}transaction.`, now);
    case "score":
      return checkScore(e.score!, `${prefix}score.`, now);
    default:
      return { violations: [{ field: `${prefix}event`, description: "one of client, transaction or score is required" }] };
  }
}

function item(index: number, eventId: string | undefined, messageId: string, status: RpcStatus): ItemStatus {
  return { index, event_id: eventId ?? "", message_id: messageId, status };
}

/** The call's deadline in ms since the epoch (Infinity: none). */
function deadlineMs(call: IncomingCall): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}
