/**
 * What a job has done so far, for logs, progress bars and stop conditions, and what the engine says
 * about its stages when it stalls.
 */
import type { Millis } from "../../../sdk/time";
import type { DroppedElements } from "./grouping";
import type { SourceDriver } from "./source_driver";

/** Progress counters, for logs, progress bars and stop conditions. */
export interface EngineProgress {
  bundles: number;
  elements: number;
  /** Elements read from sources (TestStream, subscriptions). */
  sourceElements: number;
  /** Processing time of the last element read from a source (-Infinity before any). */
  lastSourceElementAt: Millis;
  /** Since when the sources have known their input empty (see SourceDriver.idleSince); undefined: they have not. */
  inputIdleSince: Millis | undefined;
  dropped: DroppedElements;
  /** What each source reports about itself (see StreamSource.report), by stage name. */
  sources: Record<string, Record<string, number>>;
  stages: { id: string; name: string; elements: number; pending: number; inputWatermark: Millis; outputWatermark: Millis; dropped?: DroppedElements }[];
}

/** What a stop condition reads (EngineOptions.shouldDrain): cheap to get between every two bundles. */
export type StopProgress = Pick<EngineProgress, "sourceElements" | "inputIdleSince">;

/** What progress reads of a stage. */
export interface StageProgress {
  spec: { id: string; name: string };
  pending: { size: number };
  grouping?: { size: number; dropped: DroppedElements };
  inputWatermark: Millis;
  outputWatermark: Millis;
  elementsProcessed: number;
  bundlesProcessed: number;
}

/** The job's progress, from its stages (in topological order) and its sources. */
export function progressOf(stages: StageProgress[], sources: SourceDriver): EngineProgress {
  let bundles = 0;
  let elements = 0;
  const dropped: DroppedElements = { late: 0, closedWindow: 0 };
  for (const s of stages) {
    bundles += s.bundlesProcessed;
    elements += s.elementsProcessed;
    if (s.grouping !== undefined) {
      dropped.late += s.grouping.dropped.late;
      dropped.closedWindow += s.grouping.dropped.closedWindow;
    }
  }
  return {
    bundles,
    elements,
    sourceElements: sources.elementsRead,
    lastSourceElementAt: sources.lastElementAt,
    inputIdleSince: sources.idleSince(),
    dropped,
    sources: sources.reports(),
    stages: stages.map((s) => ({
      id: s.spec.id,
      name: s.spec.name,
      elements: s.elementsProcessed,
      pending: s.pending.size + (s.grouping?.size ?? 0),
      inputWatermark: s.inputWatermark,
      outputWatermark: s.outputWatermark,
      dropped: s.grouping === undefined ? undefined : { ...s.grouping.dropped },
    })),
  };
}

/** One line per stage: watermarks and what it holds (for the "stalled" error). */
export function describeStages(stages: StageProgress[]): string {
  return stages
    .map((s) => `  ${s.spec.name}: input wm ${s.inputWatermark}, output wm ${s.outputWatermark}, pending ${s.pending.size}, grouped ${s.grouping?.size ?? 0}`)
    .join("\n");
}
