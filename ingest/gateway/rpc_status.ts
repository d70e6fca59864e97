/**
 * Google's rich error model (google.rpc.Status with details), as gRPC clients of every language
 * read it: an `INVALID_ARGUMENT` carries a `google.rpc.BadRequest` listing each field violation,
 * in the `grpc-status-details-bin` trailer of a failed call, or in an item's status of a batch.
 * Encoded with the protobuf runtime and the google/rpc protos of Google's own client library.
 */
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { protobuf } from "google-gax";
import { GOOGLE_PROTOS_DIR, type RpcStatus } from "./proto";

/** One broken rule: the request field (dotted path, e.g. `events[3].transaction.price_paise`) and why. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** The trailer gRPC clients look for the rich status in. */
export const STATUS_DETAILS_KEY = "grpc-status-details-bin";
const BAD_REQUEST_TYPE = "google.rpc.BadRequest";
const TYPE_URL_PREFIX = "type.googleapis.com/";

let root: protobuf.Root | undefined;

function types(): { status: protobuf.Type; badRequest: protobuf.Type } {
  if (root === undefined) {
    root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(GOOGLE_PROTOS_DIR, target));
    root.loadSync(["google/rpc/status.proto", "google/rpc/error_details.proto"]);
  }
  return { status: root.lookupType("google.rpc.Status"), badRequest: root.lookupType(BAD_REQUEST_TYPE) };
}

/** The OK status (of an accepted item). */
export function okStatus(): RpcStatus {
  return { code: grpc.status.OK, message: "", details: [] };
}

/** A status without details. */
export function plainStatus(code: grpc.status, message: string): RpcStatus {
  return { code, message, details: [] };
}

/** `INVALID_ARGUMENT` with a BadRequest naming every violation; the message repeats the first ones. */
export function badRequestStatus(violations: FieldViolation[], subject: string): RpcStatus {
  const { badRequest } = types();
  const value = Buffer.from(
    badRequest.encode(badRequest.fromObject({ fieldViolations: violations.map((v) => ({ field: v.field, description: v.description })) })).finish(),
  );
  const summary = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return { code: grpc.status.INVALID_ARGUMENT, message: `invalid ${subject}: ${summary}`, details: [{ type_url: TYPE_URL_PREFIX + BAD_REQUEST_TYPE, value }] };
}

/** A failed call's error for a handler's callback, the rich status in its trailer. */
export function callError(status: RpcStatus): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (status.details.length > 0) {
    const { status: type } = types();
    const encoded = type.encode(type.fromObject({ code: status.code, message: status.message, details: status.details.map(toAny) })).finish();
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(encoded));
  }
  return { code: status.code, details: status.message, metadata };
}

function toAny(detail: RpcStatus["details"][number]): { type_url: string; value: Buffer } {
  return { type_url: detail.type_url, value: detail.value };
}

/** The field violations in a status's details (from a trailer or a batch item); empty when none. */
export function fieldViolationsOf(details: RpcStatus["details"]): FieldViolation[] {
  const { badRequest } = types();
  const out: FieldViolation[] = [];
  for (const detail of details) {
    if (detail.type_url !== TYPE_URL_PREFIX + BAD_REQUEST_TYPE) continue;
    const decoded = badRequest.toObject(badRequest.decode(detail.value)) as { fieldViolations?: FieldViolation[] };
    for (const v of decoded.fieldViolations ?? []) out.push({ field: v.field, description: v.description });
  }
  return out;
}

/** The field violations a failed call's trailer carries (what a client does with an INVALID_ARGUMENT). */
export function fieldViolationsOfError(error: grpc.ServiceError): FieldViolation[] {
  const [bytes] = error.metadata?.get(STATUS_DETAILS_KEY) ?? [];
  if (!(bytes instanceof Buffer)) return [];
  const { status } = types();
  const decoded = status.toObject(status.decode(bytes)) as { details?: { type_url?: string; typeUrl?: string; value: Uint8Array }[] };
  return fieldViolationsOf((decoded.details ?? []).map((d) => ({ type_url: d.type_url ?? d.typeUrl ?? "", value: Buffer.from(d.value) })));
}
