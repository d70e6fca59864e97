/**
 * The job graph as the page draws it, read from the pipeline proto: every transform with its
 * composite parent and children (names from `withName`), the PCollections it reads and writes, and
 * the fused stages its leaf steps run in.
 */
import type * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { StageStatus } from "../runners/direct";

/** One transform of the proto: a composite (with children) or a leaf step. */
export interface GraphStep {
  id: string;
  /** The full unique name (`parent/child`), as `withName` made it. */
  name: string;
  /** The last segment of the name, for the box. */
  label: string;
  urn: string;
  parent?: string;
  children: string[];
  /** PCollections read (main and side inputs alike) and written. */
  inputs: string[];
  outputs: string[];
  /** The fused stages its leaves run in (one for a leaf; several for a composite spanning stages). */
  stages: string[];
}

/** The graph: steps by id, the top-level ones in order, and the producing leaf of each PCollection. */
export interface JobGraph {
  steps: Map<string, GraphStep>;
  roots: string[];
}

/** Builds the graph of `pipeline`, with each leaf placed in the stage that runs it. */
export function jobGraph(pipeline: runnerApi.Pipeline, stages: StageStatus[]): JobGraph {
  const transforms = pipeline.components!.transforms;
  const stageOf = new Map<string, string>();
  for (const stage of stages) {
    for (const id of stage.transforms) stageOf.set(id, stage.id);
    if (stage.rootTransform !== undefined) stageOf.set(stage.rootTransform, stage.id);
  }
  // A Flatten runs as the queue its stage starts with: it is the leaf producing that stage's root.
  for (const stage of stages) {
    if (stage.rootTransform !== undefined) continue;
    const flatten = Object.entries(transforms).find(([, t]) => t.subtransforms.length === 0 && Object.values(t.outputs).includes(stage.rootPCollection));
    if (flatten !== undefined && !stageOf.has(flatten[0])) stageOf.set(flatten[0], stage.id);
  }
  const steps = new Map<string, GraphStep>();
  const visit = (id: string, parent?: string): GraphStep => {
    const t = transforms[id];
    // A step the runner executes whole (a lifted combine) is a leaf here too, though the proto nests its expansion.
    const executedWhole = stageOf.has(id) && t.subtransforms.length > 0;
    const children = executedWhole ? [] : t.subtransforms;
    const step: GraphStep = {
      id,
      name: t.uniqueName,
      label: parent === undefined ? t.uniqueName : t.uniqueName.slice(transforms[parent].uniqueName.length + 1),
      urn: t.spec?.urn ?? "",
      parent,
      children,
      inputs: Object.values(t.inputs),
      outputs: Object.values(t.outputs),
      stages: [],
    };
    steps.set(id, step);
    if (children.length === 0) {
      const stage = stageOf.get(id);
      if (stage !== undefined) step.stages.push(stage);
    } else {
      for (const child of children) for (const s of visit(child, id).stages) if (!step.stages.includes(s)) step.stages.push(s);
    }
    return step;
  };
  for (const id of pipeline.rootTransformIds) visit(id);
  return { steps, roots: pipeline.rootTransformIds };
}

/** The leaves of the graph: the steps that run. */
export function leafSteps(graph: JobGraph): GraphStep[] {
  return [...graph.steps.values()].filter((s) => s.children.length === 0);
}
