/**
 * The gateway's API as Node sees it: `event_ingestion.proto` loaded at run time with
 * `@grpc/proto-loader`, and the TypeScript shapes of its messages.
 *
 * Why proto-loader rather than generated code: the reflection service needs the file descriptors
 * anyway (proto-loader keeps them in the package definition), nothing has to be regenerated when
 * the `.proto` changes, and no `protoc` is needed on a developer's machine or in CI. The interfaces
 * below mirror the `.proto` with the loader options of {@link LOADER_OPTIONS} (snake_case kept,
 * int64 as decimal strings, unset scalars filled with their defaults); the tests of the gateway
 * exercise every field through a real client, so a drift shows there.
 */
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/** The `.proto` file. Scripts run from source; `npm run build` copies nothing, so it is read here. */
export const PROTO_FILE = path.join(__dirname, "event_ingestion.proto");
/** Fully qualified service name, as health checks and reflection name it. */
export const SERVICE_NAME = "beam_ts_native.ingest.v1.EventIngestionService";

/** Where google/rpc/*.proto live: the copy Google's client library ships (`google-gax`). */
export const GOOGLE_PROTOS_DIR = path.join(path.dirname(require.resolve("google-gax")), "..", "protos");

/** How messages map to JavaScript values (see the module comment). */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [GOOGLE_PROTOS_DIR],
};

/** An int64 field: a decimal string on the way in; a string or a number on the way out. */
export type Int64 = string | number;

export interface ClientData {
  event_id: string;
  user_id: string;
  name: string;
  email: string;
  state: string;
  city: string;
  signup_time_ms: Int64;
  event_time_ms: Int64;
}

export interface TransactionData {
  event_id: string;
  transaction_id: string;
  user_id: string;
  product_id: string;
  category: string;
  price_paise: Int64;
  discount_percent: number;
  final_price_paise: Int64;
  payment_method: string;
  event_time_ms: Int64;
  quantity: number;
  sales_channel: string;
  customer_state: string;
  distribution_center: string;
}

export interface ScoreData {
  event_id: string;
  user_id: string;
  score: number;
  model: string;
  event_time_ms: Int64;
}

export interface IngestionResponse {
  event_id: string;
  message_id: string;
}

/** One event of a batch or stream; `event` names the set case of the oneof. */
export interface IngestEvent {
  client?: ClientData | null;
  transaction?: TransactionData | null;
  score?: ScoreData | null;
  event?: "client" | "transaction" | "score";
}

/** google.rpc.Status; `details` are `google.protobuf.Any`s. */
export interface RpcStatus {
  code: number;
  message: string;
  details: { type_url: string; value: Buffer }[];
}

export interface ItemStatus {
  index: number;
  event_id: string;
  message_id: string;
  status: RpcStatus;
}

export interface IngestBatchRequest {
  events: IngestEvent[];
}

export interface IngestBatchResponse {
  items: ItemStatus[];
  accepted: number;
  rejected: number;
}

export interface IngestStreamSummary {
  accepted: number;
  rejected: number;
  rejections: ItemStatus[];
}

let cached: protoLoader.PackageDefinition | undefined;

/** The package definition of the gateway's `.proto` (loaded once). */
export function packageDefinition(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);
  return cached;
}

/** The service definition, for `server.addService` and for clients. */
export function ingestionService(): grpc.ServiceDefinition {
  const loaded = grpc.loadPackageDefinition(packageDefinition()) as unknown as {
    beam_ts_native: { ingest: { v1: { EventIngestionService: grpc.ServiceClientConstructor } } };
  };
  return loaded.beam_ts_native.ingest.v1.EventIngestionService.service;
}
