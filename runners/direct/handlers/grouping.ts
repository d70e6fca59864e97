/**
 * Handlers for the two shuffling URNs: GroupByKey (`beam:transform:group_by_key:v1`) and lifted
 * Combine (`beam:transform:combine_per_key:v1`). Each turns its transform into the engine's
 * GroupingSpec: how to identify keys, how to fold values, whether windows merge.
 */
import * as protobufjs from "protobufjs";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { type Coder, Context } from "apache-beam/coders/coders";
import { IterableCoder } from "apache-beam/coders/required_coders";
import { PipelineContext } from "apache-beam/internal/pipeline";
import { deserializeFn } from "apache-beam/internal/serialize";
import type { CombineFn } from "apache-beam/transforms/group_and_combine";
import type { Aggregator, GroupingSpec, PaneCodec } from "../engine/grouping";
import { COMBINE_PER_KEY } from "../plan/urns";
import { keyIdentity } from "../execution/keys";
import { PartialAccumulator } from "../execution/partial_accumulator";
import { windowingOf } from "./windowing_strategy";
import { implementationOf } from "./deserialized";

const listAggregator: Aggregator<unknown[]> = {
  create: () => [],
  add: (values, value) => {
    values.push(value);
    return values;
  },
  merge: (lists) => ([] as unknown[]).concat(...lists),
  output: (values) => values,
};

function combineAggregator(combineFn: CombineFn<unknown, unknown, unknown>): Aggregator<unknown> {
  // Called for every element the grouping takes in.
  const addInput = implementationOf(combineFn.addInput);
  return {
    create: () => combineFn.createAccumulator(),
    // A worker thread's pre-combined inputs arrive as one accumulator (execution/partial_accumulator.ts).
    add: (accumulator, value) =>
      value instanceof PartialAccumulator ? combineFn.mergeAccumulators([accumulator, value.accumulator]) : addInput.call(combineFn, accumulator, value),
    merge: (accumulators) => combineFn.mergeAccumulators(accumulators),
    output: (accumulator) => combineFn.extractOutput(accumulator),
  };
}

/** The grouping behind a GroupByKey or Combine transform. */
export function groupingSpec(
  transform: runnerApi.PTransform,
  components: runnerApi.Components,
  context: PipelineContext,
): GroupingSpec {
  const input = components.pcollections[Object.values(transform.inputs)[0]];
  const kvCoder = components.coders[input.coderId];
  const keyCoder = context.getCoder(kvCoder.componentCoderIds[0]);
  const windowing = components.windowingStrategies[input.windowingStrategyId];
  const mergesWindows = windowing.mergeStatus === runnerApi.MergeStatus_Enum.NEEDS_MERGE;
  const panes = windowingOf(windowing);
  if (panes.outputTime !== "endOfWindow") {
    throw new Error(`step '${transform.uniqueName}': output time ${panes.outputTime} is not supported; use END_OF_WINDOW`);
  }
  const combine = transform.spec?.urn === COMBINE_PER_KEY ? runnerApi.CombinePayload.fromBinary(transform.spec.payload) : undefined;
  const aggregator = combine === undefined ? listAggregator : combineAggregator(deserializeFn(combine.combineFn!.payload).combineFn);
  // A lifted combine's accumulator has its coder; a GroupByKey's is the list of its values.
  const accumulatorCoder: Coder<unknown> =
    combine === undefined ? new IterableCoder(context.getCoder(kvCoder.componentCoderIds[1])) : context.getCoder(combine.accumulatorCoderId);
  return {
    keyIdentity: keyIdentity(keyCoder),
    aggregator: aggregator as Aggregator<unknown>,
    mergesWindows,
    windowing: panes,
    codec: paneCodec(keyCoder, context.getCoder(windowing.windowCoderId), accumulatorCoder),
  };
}

/** A grouping's state through the pipeline's coders (for checkpoints). */
function paneCodec(keyCoder: Coder<unknown>, windowCoder: Coder<unknown>, accumulatorCoder: Coder<unknown>): PaneCodec {
  const encode = (coder: Coder<unknown>) => (value: unknown) => {
    const writer = new protobufjs.Writer();
    coder.encode(value, writer, Context.wholeStream);
    return writer.finish();
  };
  const decode = (coder: Coder<unknown>) => (bytes: Uint8Array) => coder.decode(new protobufjs.Reader(bytes), Context.wholeStream);
  return {
    encodeKey: encode(keyCoder),
    decodeKey: decode(keyCoder),
    encodeWindow: encode(windowCoder),
    decodeWindow: decode(windowCoder) as PaneCodec["decodeWindow"],
    encodeAccumulator: encode(accumulatorCoder),
    decodeAccumulator: (bytes) => {
      const value = decode(accumulatorCoder)(bytes);
      // A list accumulator must take more values: an iterable decodes as an array.
      return accumulatorCoder instanceof IterableCoder ? [...(value as Iterable<unknown>)] : value;
    },
  };
}
