/**
 * A fused stage as the Fn API's ProcessBundleDescriptor: the stage's steps as the pipeline has them,
 * plus a DataSource feeding its root PCollection and a DataSink per PCollection leaving it, each with
 * the wire coder (the PCollection's coder in a windowed-value coder) the elements cross in. Side
 * inputs stay references the SDK worker reads through the state channel.
 */
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { ProcessBundleDescriptor, RemoteGrpcPort } from "apache-beam/proto/beam_fn_api";
import type { PlannedStage } from "../../plan/stages";

export const DATA_SOURCE_URN = "beam:runner:source:v1";
export const DATA_SINK_URN = "beam:runner:sink:v1";
const WINDOWED_VALUE_CODER_URN = "beam:coder:windowed_value:v1";

/** A stage's descriptor and where its elements enter and leave. */
export interface StageDescriptor {
  descriptor: ProcessBundleDescriptor;
  /** The DataSource transform and the wire coder of the stage's input. */
  input: { transformId: string; coderId: string };
  /** Per DataSink transform: the PCollection it carries out and its wire coder. */
  outputs: Map<string, { pcollection: string; coderId: string }>;
}

/** Builds `stage`'s descriptor, named `id`; the worker reaches data at `dataUrl` and state at `stateUrl`. */
export function stageDescriptor(id: string, stage: PlannedStage, components: runnerApi.Components, dataUrl: string, stateUrl: string): StageDescriptor {
  const coders: Record<string, runnerApi.Coder> = { ...components.coders };
  const wireCoder = (pcollection: string): string => {
    const pcoll = components.pcollections[pcollection];
    const windowCoderId = components.windowingStrategies[pcoll.windowingStrategyId].windowCoderId;
    const id = `wire:${pcoll.coderId}:${windowCoderId}`;
    coders[id] = runnerApi.Coder.create({
      spec: { urn: WINDOWED_VALUE_CODER_URN, payload: new Uint8Array() },
      componentCoderIds: [pcoll.coderId, windowCoderId],
    });
    return id;
  };
  const port = (coderId: string) => RemoteGrpcPort.toBinary({ apiServiceDescriptor: { url: dataUrl, authentication: undefined }, coderId });
  const transforms: Record<string, runnerApi.PTransform> = {};
  for (const id of stage.transforms) transforms[id] = components.transforms[id];

  const input = { transformId: `${stage.id}:source`, coderId: wireCoder(stage.root.pcollection) };
  transforms[input.transformId] = runnerApi.PTransform.create({
    uniqueName: `${stage.name}/DataSource`,
    spec: { urn: DATA_SOURCE_URN, payload: port(input.coderId) },
    outputs: { out: stage.root.pcollection },
  });
  const outputs = new Map<string, { pcollection: string; coderId: string }>();
  for (const pcollection of stage.outputs.keys()) {
    const transformId = `${stage.id}:sink:${pcollection}`;
    const coderId = wireCoder(pcollection);
    outputs.set(transformId, { pcollection, coderId });
    transforms[transformId] = runnerApi.PTransform.create({
      uniqueName: `${stage.name}/DataSink/${pcollection}`,
      spec: { urn: DATA_SINK_URN, payload: port(coderId) },
      inputs: { in: pcollection },
    });
  }
  const descriptor = ProcessBundleDescriptor.create({
    id,
    transforms,
    pcollections: components.pcollections,
    windowingStrategies: components.windowingStrategies,
    coders,
    environments: components.environments,
    stateApiServiceDescriptor: { url: stateUrl },
  });
  return { descriptor, input, outputs };
}
