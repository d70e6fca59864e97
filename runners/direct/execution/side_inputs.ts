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
  /** Per window: its encoding and how many elements it encodes (the store only ever appends). */
  const encoded = new Map<string, { count: number; bytes: Uint8Array }>();
  return {
    getState<T>(stateKey: StateKey, decode: (data: Uint8Array) => T): MaybePromise<T> {
      if (stateKey.type.oneofKind !== "iterableSideInput") {
        throw new Error(`state of kind '${stateKey.type.oneofKind}' is not supported by this runner`);
      }
      const { transformId, sideInputId, window } = stateKey.type.iterableSideInput;
      const pcollection = components.transforms[transformId].inputs[sideInputId];
      const pcoll = components.pcollections[pcollection];
      const windowCoder = context.getCoder(components.windowingStrategies[pcoll.windowingStrategyId].windowCoderId);
      const key = `${pcollection}\u0000${windowKey(windowCoder.decode(new protobufjs.Reader(window), Context.needsDelimiters) as never)}`;
      const elements = store(pcollection).get(key.slice(pcollection.length + 1))?.elements ?? [];
      let cached = encoded.get(key);
      if (cached === undefined || cached.count !== elements.length) {
        const elementCoder = context.getCoder(pcoll.coderId);
        const writer = new protobufjs.Writer();
        for (const element of elements) elementCoder.encode(element, writer, Context.needsDelimiters);
        cached = { count: elements.length, bytes: writer.finish() };
        encoded.set(key, cached);
      }
      return { type: "value", value: reiterable(decode, cached.bytes) };
    },
  };
}

/**
 * The SDK decodes an iterable side input into a generator, which can be read only once; its ParDo
 * operator then hands that same generator to every element of the bundle, so all but the first read
 * see nothing. An iterable side input must read the same for every element: give it a fresh
 * generator per iteration.
 */
function reiterable<T>(decode: (data: Uint8Array) => T, bytes: Uint8Array): T {
  const value = decode(bytes);
  if (Object.prototype.toString.call(value) !== "[object Generator]") return value;
  return { [Symbol.iterator]: () => (decode(bytes) as Iterable<unknown>)[Symbol.iterator]() } as T;
}
