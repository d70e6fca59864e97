/**
 * Serves side inputs to the SDK's ParDo operator, which asks for them through the Fn API's state
 * protocol (an iterable side-input StateKey: transform, side input tag, encoded window). The data
 * comes from the engine's side-input store, encoded with the PCollection's coder once per window and
 * content: a window may still gain data after a read (in streaming, side data behind the watermark),
 * and no read may hide what arrived since — least of all an empty one.
 */
import * as protobufjs from "protobufjs";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { StateKey } from "apache-beam/proto/beam_fn_api";
import { PipelineContext } from "apache-beam/internal/pipeline";
import { Context } from "apache-beam/coders/coders";
import type { StateProvider, MaybePromise } from "apache-beam/worker/state";
import type { SideInputWindow } from "../engine/engine";
import { windowKey } from "../engine/windows";

/** A StateProvider answering side-input reads from `store(pcollection)`. */
export function sideInputStateProvider(
  components: runnerApi.Components,
  context: PipelineContext,
  store: (pcollection: string) => ReadonlyMap<string, SideInputWindow>,
): StateProvider {
  const read = sideInputReader(components, context, store);
  return {
    getState<T>(stateKey: StateKey, decode: (data: Uint8Array) => T): MaybePromise<T> {
      if (stateKey.type.oneofKind !== "iterableSideInput") {
        throw new Error(`state of kind '${stateKey.type.oneofKind}' is not supported by this runner`);
      }
      return { type: "value", value: reiterable(decode, read(stateKey)) };
    },
  };
}

/**
 * The encoded answer to a side-input StateKey, from `store(pcollection)`: an iterable side input's
 * window (its elements), a multimap's keys in a window, or one key's values in a window.
 */
export function sideInputReader(
  components: runnerApi.Components,
  context: PipelineContext,
  store: (pcollection: string) => ReadonlyMap<string, SideInputWindow>,
): (stateKey: StateKey) => Uint8Array {
  /** Per window: its encoding and how many elements it encodes (the store only ever appends). */
  const encoded = new Map<string, { count: number; bytes: Uint8Array }>();
  const windowOf = (transformId: string, sideInputId: string, window: Uint8Array) => {
    const pcollection = components.transforms[transformId].inputs[sideInputId];
    const pcoll = components.pcollections[pcollection];
    const windowCoder = context.getCoder(components.windowingStrategies[pcoll.windowingStrategyId].windowCoderId);
    const key = windowKey(windowCoder.decode(new protobufjs.Reader(window), Context.needsDelimiters) as never);
    return { pcollection, pcoll, key, elements: store(pcollection).get(key)?.elements ?? [] };
  };
  const encode = (coderId: string, values: unknown[]) => {
    const coder = context.getCoder(coderId);
    const writer = new protobufjs.Writer();
    for (const value of values) coder.encode(value, writer, Context.needsDelimiters);
    return writer.finish();
  };
  /** A multimap side input's key and value coders, and its elements' keys encoded. */
  const multimap = (pcoll: runnerApi.PCollection, elements: unknown[]) => {
    const [keyCoderId, valueCoderId] = components.coders[pcoll.coderId].componentCoderIds;
    const kvs = elements as { key: unknown; value: unknown }[];
    return { keyCoderId, valueCoderId, kvs, keys: kvs.map((kv) => Buffer.from(encode(keyCoderId, [kv.key])).toString("hex")) };
  };
  return (stateKey) => {
    switch (stateKey.type.oneofKind) {
      case "iterableSideInput": {
        const { transformId, sideInputId, window } = stateKey.type.iterableSideInput;
        const { pcollection, pcoll, key, elements } = windowOf(transformId, sideInputId, window);
        const cacheKey = `${pcollection}\u0000${key}`;
        let cached = encoded.get(cacheKey);
        if (cached === undefined || cached.count !== elements.length) {
          cached = { count: elements.length, bytes: encode(pcoll.coderId, elements) };
          encoded.set(cacheKey, cached);
        }
        return cached.bytes;
      }
      case "multimapKeysSideInput": {
        const { transformId, sideInputId, window } = stateKey.type.multimapKeysSideInput;
        const { pcoll, elements } = windowOf(transformId, sideInputId, window);
        const { keyCoderId, kvs, keys } = multimap(pcoll, elements);
        const firsts = kvs.filter((_, i) => keys.indexOf(keys[i]) === i).map((kv) => kv.key);
        return encode(keyCoderId, firsts);
      }
      case "multimapSideInput": {
        const { transformId, sideInputId, window, key } = stateKey.type.multimapSideInput;
        const { pcoll, elements } = windowOf(transformId, sideInputId, window);
        const { valueCoderId, kvs, keys } = multimap(pcoll, elements);
        const wanted = Buffer.from(key).toString("hex");
        return encode(valueCoderId, kvs.filter((_, i) => keys[i] === wanted).map((kv) => kv.value));
      }
      default:
        throw new Error(`state of kind '${stateKey.type.oneofKind}' is not supported by this runner`);
    }
  };
}

/**
 * The SDK decodes an iterable side input into a generator, which can be read only once; its ParDo
 * operator then hands that same generator to every element of the bundle, so all but the first read
 * see nothing. An iterable side input must read the same for every element: give it a fresh
 * generator per iteration.
 */
export function reiterable<T>(decode: (data: Uint8Array) => T, bytes: Uint8Array): T {
  const value = decode(bytes);
  if (Object.prototype.toString.call(value) !== "[object Generator]") return value;
  return { [Symbol.iterator]: () => (decode(bytes) as Iterable<unknown>)[Symbol.iterator]() } as T;
}
