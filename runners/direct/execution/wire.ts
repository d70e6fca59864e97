/**
 * Elements crossing a thread boundary: a batch of windowed values of one PCollection encoded with
 * the pipeline's own coders (the element coder and the window coder of its windowing strategy, as on
 * the Fn API's data channel) into one byte buffer, which is transferred rather than copied when it
 * owns its memory. Inside a stage elements stay JS objects; only stage inputs and outputs cross.
 */
import * as protobufjs from "protobufjs";
import type * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { PipelineContext } from "apache-beam/internal/pipeline";
import { Context, type Coder } from "apache-beam/coders/coders";
import { FullWindowedValueCoder } from "apache-beam/coders/required_coders";
import type { WindowedValue } from "apache-beam/values";

/** Encoded elements of one PCollection. */
export interface EncodedElements {
  bytes: Uint8Array;
  count: number;
}

/** Encodes and decodes batches of one PCollection's windowed values. */
export interface ElementCodec {
  encode(elements: readonly WindowedValue<unknown>[]): EncodedElements;
  decode(encoded: EncodedElements): WindowedValue<unknown>[];
}

/** The codec of `pcollection`'s windowed values. */
export function elementCodec(components: runnerApi.Components, context: PipelineContext, pcollection: string): ElementCodec {
  return windowedCodec(components, context, pcollection, context.getCoder(pcollectionOf(components, pcollection).coderId));
}

/** The codec of values coded by `valueCoder` in the windows of `pcollection`. */
export function windowedCodec(components: runnerApi.Components, context: PipelineContext, pcollection: string, valueCoder: Coder<unknown>): ElementCodec {
  const pcoll = pcollectionOf(components, pcollection);
  const windowCoder = context.getCoder(components.windowingStrategies[pcoll.windowingStrategyId].windowCoderId);
  const coder = new FullWindowedValueCoder(valueCoder, windowCoder as never);
  return {
    encode(elements) {
      const writer = new protobufjs.Writer();
      for (const element of elements) coder.encode(element as never, writer, Context.needsDelimiters);
      return { bytes: writer.finish(), count: elements.length };
    },
    decode({ bytes, count }) {
      const reader = new protobufjs.Reader(bytes);
      const elements = new Array<WindowedValue<unknown>>(count);
      for (let i = 0; i < count; i++) elements[i] = coder.decode(reader, Context.needsDelimiters) as WindowedValue<unknown>;
      return elements;
    },
  };
}

function pcollectionOf(components: runnerApi.Components, pcollection: string): runnerApi.PCollection {
  const pcoll = components.pcollections[pcollection];
  if (pcoll === undefined) throw new Error(`no PCollection '${pcollection}' in the pipeline`);
  return pcoll;
}

/** The buffers of `encoded` that can be moved to another thread without copying (those owning all their memory). */
export function transferable(encoded: readonly EncodedElements[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const { bytes } of encoded) {
    // Small Buffers share a pooled slab: transferring it would detach every other Buffer on it.
    if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) buffers.add(bytes.buffer);
  }
  return [...buffers];
}
