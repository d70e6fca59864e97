/**
 * A grpc-js service definition from the SDK's protobuf-ts service descriptions (apache-beam/proto
 * ships only protobuf-ts clients for the Job API services, no grpc-js server definitions).
 */
import type * as grpc from "@grpc/grpc-js";
import type { ServiceType } from "@protobuf-ts/runtime-rpc";

/** The grpc-js definition of `service`: every method's path, streaming kinds and binary codecs. */
export function definitionOf(service: ServiceType): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.clientStreaming,
      responseStream: method.serverStreaming,
      requestSerialize: (m: object) => Buffer.from(method.I.toBinary(m)),
      requestDeserialize: (b: Buffer) => method.I.fromBinary(b),
      responseSerialize: (m: object) => Buffer.from(method.O.toBinary(m)),
      responseDeserialize: (b: Buffer) => method.O.fromBinary(b),
    };
  }
  return definition as grpc.ServiceDefinition;
}
