/**
 * The plan: from the pipeline proto the SDK builds to fused stages the engine can schedule.
 *
 * A stage starts at a root where elements arrive from outside it — the impulse, a source (TestStream), the output of a
 * GroupByKey or lifted Combine, the output of a Flatten, or the main input of a ParDo that reads side
 * inputs (which must be able to wait for them) — and takes in every step that consumes its
 * PCollections directly. Elements inside a stage stay JS objects passed from step to step; only at a
 * stage's outputs do they go to the engine (queues, groupings, side-input stores).
 *
 * Composite transforms are flattened to their leaves, except those this runner executes natively:
 * a Combine with a CombinePayload is lifted (its accumulators are built as elements arrive instead of
 * grouping every value and combining afterwards).
 */
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { Destination, SideInputSpec } from "../engine/engine";
import { COMBINE_PER_KEY, FLATTEN, GLOBAL_WINDOW_MAPPING, GROUP_BY_KEY, IMPULSE, PAR_DO } from "./urns";

/** Where a stage's elements come from. */
export type StageRoot =
  | { kind: "impulse"; transformId: string; pcollection: string }
  | { kind: "source"; transformId: string; pcollection: string }
  | { kind: "queue"; pcollection: string }
  | { kind: "grouping"; transformId: string; pcollection: string };


/** One fused stage. */
export interface PlannedStage {
  id: string;
  name: string;
  root: StageRoot;
  /** Steps run inside the stage by operators, producers before consumers. */
  transforms: string[];
  /** PCollections available in this stage that other stages need, and where each goes. */
  outputs: Map<string, Destination[]>;
  upstream: string[];
  sideInputs: SideInputSpec[];
}

/** The plan of a whole pipeline. */
export interface Plan {
  stages: PlannedStage[];
  /** The main-input PCollection of each fused step. */
  mainInputOf: Map<string, string>;
}

/** True for composites this runner executes as one step. */
function isNativeComposite(t: runnerApi.PTransform): boolean {
  return t.spec?.urn === COMBINE_PER_KEY && (t.spec.payload?.length ?? 0) > 0;
}

/** The leaf steps of the pipeline, producers before consumers. */
function leafTransforms(pipeline: runnerApi.Pipeline): string[] {
  const transforms = pipeline.components!.transforms;
  const leaves: string[] = [];
  const collect = (id: string) => {
    const t = transforms[id];
    if (t.subtransforms.length === 0 || isNativeComposite(t)) leaves.push(id);
    else t.subtransforms.forEach(collect);
  };
  pipeline.rootTransformIds.forEach(collect);

  const producer = new Map<string, string>();
  for (const id of leaves) for (const pc of Object.values(transforms[id].outputs)) producer.set(pc, id);
  const ordered: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const pc of Object.values(transforms[id].inputs)) {
      const p = producer.get(pc);
      if (p !== undefined) visit(p);
    }
    ordered.push(id);
  };
  leaves.forEach(visit);
  return ordered;
}

/** Tags of a ParDo's side inputs (empty for other transforms). */
export function sideInputTags(t: runnerApi.PTransform): string[] {
  if (t.spec?.urn !== PAR_DO) return [];
  return Object.keys(runnerApi.ParDoPayload.fromBinary(t.spec.payload).sideInputs);
}

/**
 * Builds the fused stages of `pipeline`. `sourceUrns`: root transforms that read from outside the
 * pipeline (each starts a stage fed by an engine source).
 */
export function planStages(pipeline: runnerApi.Pipeline, sourceUrns: ReadonlySet<string>): Plan {
  const transforms = pipeline.components!.transforms;
  const stages: PlannedStage[] = [];
  const stageOfPcoll = new Map<string, PlannedStage>();
  const mainInputOf = new Map<string, string>();

  const newStage = (root: StageRoot, name: string): PlannedStage => {
    const stage: PlannedStage = { id: `stage-${stages.length}`, name, root, transforms: [], outputs: new Map(), upstream: [], sideInputs: [] };
    stages.push(stage);
    return stage;
  };
  const producingStage = (pcoll: string, consumer: string): PlannedStage => {
    const s = stageOfPcoll.get(pcoll);
    if (s === undefined) throw new Error(`step '${transforms[consumer].uniqueName}' reads PCollection '${pcoll}', which no step produces`);
    return s;
  };
  const route = (pcoll: string, consumer: string, destination: Destination, into?: PlannedStage) => {
    const from = producingStage(pcoll, consumer);
    const list = from.outputs.get(pcoll) ?? from.outputs.set(pcoll, []).get(pcoll)!;
    // A side-input store is filled once however many steps read it; a stage input is fed once per
    // consuming edge (a Flatten of a PCollection with itself sees each element twice).
    if (destination.kind === "stage" || !list.some((d) => d.kind === "sideInput")) list.push(destination);
    if (into !== undefined && !into.upstream.includes(from.id)) into.upstream.push(from.id);
  };

  for (const id of leafTransforms(pipeline)) {
    const t = transforms[id];
    const urn = t.spec?.urn ?? "";
    const inputs = Object.values(t.inputs);
    const outputs = Object.values(t.outputs);
    if (urn === IMPULSE) {
      const stage = newStage({ kind: "impulse", transformId: id, pcollection: outputs[0] }, t.uniqueName);
      stageOfPcoll.set(outputs[0], stage);
    } else if (sourceUrns.has(urn)) {
      const stage = newStage({ kind: "source", transformId: id, pcollection: outputs[0] }, t.uniqueName);
      stageOfPcoll.set(outputs[0], stage);
    } else if (urn === GROUP_BY_KEY || urn === COMBINE_PER_KEY) {
      const stage = newStage({ kind: "grouping", transformId: id, pcollection: outputs[0] }, t.uniqueName);
      route(inputs[0], id, { kind: "stage", stage: stage.id }, stage);
      stageOfPcoll.set(outputs[0], stage);
    } else if (urn === FLATTEN) {
      const stage = newStage({ kind: "queue", pcollection: outputs[0] }, t.uniqueName);
      for (const input of inputs) route(input, id, { kind: "stage", stage: stage.id }, stage);
      stageOfPcoll.set(outputs[0], stage);
    } else {
      const sideTags = sideInputTags(t);
      const mainTags = Object.keys(t.inputs).filter((tag) => !sideTags.includes(tag));
      if (mainTags.length !== 1) {
        throw new Error(`step '${t.uniqueName}' (${urn || "no URN"}) has ${mainTags.length} main inputs; this runner expects exactly one`);
      }
      const main = t.inputs[mainTags[0]];
      mainInputOf.set(id, main);
      let stage: PlannedStage;
      if (sideTags.length > 0) {
        stage = newStage({ kind: "queue", pcollection: main }, t.uniqueName);
        route(main, id, { kind: "stage", stage: stage.id }, stage);
        const payload = runnerApi.ParDoPayload.fromBinary(t.spec!.payload);
        for (const tag of sideTags) {
          const side = t.inputs[tag];
          route(side, id, { kind: "sideInput", pcollection: side });
          stage.sideInputs.push({
            pcollection: side,
            producer: producingStage(side, id).id,
            globalWindow: payload.sideInputs[tag].windowMappingFn?.urn === GLOBAL_WINDOW_MAPPING,
          });
        }
      } else {
        stage = producingStage(main, id);
      }
      stage.transforms.push(id);
      if (stage.transforms.length === 1 && stage.root.kind === "impulse") stage.name = t.uniqueName;
      for (const o of outputs) stageOfPcoll.set(o, stage);
    }
  }
  return { stages, mainInputOf };
}
