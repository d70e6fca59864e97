/**
 * A client of the gateway (tests, the load test, applications written in TypeScript): the
 * service's methods as promises; a failed call rejects with grpc-js's `ServiceError` (its `code`,
 * `details`, and the field violations through `fieldViolationsOfError`).
 */
import * as grpc from "@grpc/grpc-js";
import { ingestionService, type ClientData, type IngestBatchResponse, type IngestionResponse, type IngestStreamSummary, type ScoreData, type TransactionData } from "./proto";

/** How to reach the gateway. */
export interface GatewayClientOptions {
  /** The CA certificate (PEM) to trust: TLS instead of plaintext. */
  rootCert?: Buffer;
  /** Hostname the certificate names, when it is not the address's. */
  serverName?: string;
  /** The shared token, sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Each client its own TCP connection (grpc-js otherwise shares one between clients of one address). */
  ownConnection?: boolean;
}

/** An event to send in a batch or a stream: one of the three, fields left out take their defaults. */
export interface OutgoingEvent {
  client?: Partial<ClientData>;
  transaction?: Partial<TransactionData>;
  score?: Partial<ScoreData>;
}

/** Per-call options. */
export interface CallOptions {
  /** Milliseconds from now. */
  timeoutMs?: number;
}

/** A stream being written: {@link write} events, then {@link end} for the summary. */
export interface EventStream {
  /** Writes one event; resolves when the stream can take more (HTTP/2 flow control). */
  write(event: OutgoingEvent): Promise<void>;
  end(): Promise<IngestStreamSummary>;
}

type Unary<Req, Res> = (request: Req, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response: Res) => void) => grpc.ClientUnaryCall;

interface RawClient extends grpc.Client {
  IngestClient: Unary<Partial<ClientData>, IngestionResponse>;
  IngestTransaction: Unary<Partial<TransactionData>, IngestionResponse>;
  IngestScore: Unary<Partial<ScoreData>, IngestionResponse>;
  IngestBatch: Unary<{ events: OutgoingEvent[] }, IngestBatchResponse>;
  IngestStream(metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response: IngestStreamSummary) => void): grpc.ClientWritableStream<OutgoingEvent>;
}

/** A gateway client; {@link GatewayClient.close} it when done. */
export class GatewayClient {
  readonly raw: RawClient;

  constructor(
    address: string,
    private readonly options: GatewayClientOptions = {},
  ) {
    const Constructor = grpc.makeGenericClientConstructor(ingestionService(), "EventIngestionService");
    const credentials = options.rootCert ? grpc.credentials.createSsl(options.rootCert) : grpc.credentials.createInsecure();
    const channelOptions: grpc.ChannelOptions = {};
    if (options.ownConnection) channelOptions["grpc.use_local_subchannel_pool"] = 1;
    if (options.serverName) channelOptions["grpc.ssl_target_name_override"] = options.serverName;
    this.raw = new Constructor(address, credentials, channelOptions) as unknown as RawClient;
  }

  ingestClient(m: Partial<ClientData>, options?: CallOptions): Promise<IngestionResponse> {
    return this.unary(this.raw.IngestClient, m, options);
  }

  ingestTransaction(m: Partial<TransactionData>, options?: CallOptions): Promise<IngestionResponse> {
    return this.unary(this.raw.IngestTransaction, m, options);
  }

  ingestScore(m: Partial<ScoreData>, options?: CallOptions): Promise<IngestionResponse> {
    return this.unary(this.raw.IngestScore, m, options);
  }

  ingestBatch(events: OutgoingEvent[], options?: CallOptions): Promise<IngestBatchResponse> {
    return this.unary(this.raw.IngestBatch, { events }, options);
  }

  /** Opens a client stream. */
  openStream(options?: CallOptions): EventStream {
    let summary!: Promise<IngestStreamSummary>;
    let call!: grpc.ClientWritableStream<OutgoingEvent>;
    summary = new Promise((resolve, reject) => {
      call = this.raw.IngestStream(this.metadata(), this.callOptions(options), (error, response) => (error ? reject(error) : resolve(response)));
    });
    // Seen through end(); a rejection before then must not be reported as unhandled.
    summary.catch(() => undefined);
    return {
      write: (event) => new Promise<void>((resolve) => (call.write(event) ? resolve() : call.once("drain", resolve))),
      end: () => {
        call.end();
        return summary;
      },
    };
  }

  close(): void {
    this.raw.close();
  }

  private unary<Req, Res>(method: Unary<Req, Res>, request: Req, options?: CallOptions): Promise<Res> {
    return new Promise((resolve, reject) =>
      method.call(this.raw, request, this.metadata(), this.callOptions(options), (error, response) => (error ? reject(error) : resolve(response))),
    );
  }

  private metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (this.options.token !== undefined) metadata.set("authorization", `Bearer ${this.options.token}`);
    return metadata;
  }

  private callOptions(options?: CallOptions): grpc.CallOptions {
    return options?.timeoutMs === undefined ? {} : { deadline: Date.now() + options.timeoutMs };
  }
}
