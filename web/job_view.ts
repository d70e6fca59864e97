/**
 * `/api/job`: what the job page shows, as JSON (documented in web/README.md). Built from the runner's
 * read-only status snapshot, its metrics (sinks' write lag) and the dead letters seen so far; rates
 * come from successive snapshots.
 */
import type { JobStatus, StageStatus } from "../runners/direct";
import { BATCHING_SINK_URN, writeLagMetricName, writeRetriesMetricName } from "../io/batching_sink";
import { jobGraph, leafSteps, type GraphStep, type JobGraph } from "./graph";
import { RateMeter } from "./rates";
import type { DeadLetterReason } from "./dead_letter_watch";

/** A watermark in JSON: ms since the epoch, or "-inf" (no data yet) / "+inf" (nothing more will come). */
export type WatermarkJson = number | "-inf" | "+inf";

/** running: elements moved in the last seconds; idle: none did; done: every stage it runs in finished. */
export type StepState = "running" | "idle" | "done" | "failed";

export interface StepView {
  id: string;
  name: string;
  label: string;
  parent?: string;
  children: string[];
  composite: boolean;
  urn: string;
  stages: string[];
  inputs: string[];
  outputs: string[];
  elementsIn: number;
  elementsOut: number;
  /** Elements per second in (out, for a step that reads nothing: a source). */
  ratePerSecond: number;
  state: StepState;
}

export interface StageView {
  id: string;
  name: string;
  rootKind: StageStatus["rootKind"];
  steps: string[];
  elements: number;
  pending: number;
  ratePerSecond: number;
  inputWatermark: WatermarkJson;
  outputWatermark: WatermarkJson;
  /** now − output watermark: how old the newest data it has fully handled is (null before any, or once done). */
  dataFreshnessMs: number | null;
  /** The work waiting for it, in time: pending ÷ rate (0 with nothing pending; null when nothing moves, and for groupings). */
  systemLagMs: number | null;
}

export interface SourceView {
  stage: string;
  name: string;
  read: number;
  readPerSecond: number;
  /** What the source reports: outstanding (read, not yet acknowledged), acknowledged, duplicates, ack latency… */
  report: Record<string, number>;
}

export interface SinkView {
  step: string;
  name: string;
  /** Elements handed to the sink. */
  received: number;
  /** Rows written (for sinks reporting write lag: elements whose write landed). */
  written: number;
  writesPerSecond: number;
  /** Written − element timestamp, mean and max, in ms (null where the sink does not report it). */
  writeLagMeanMs: number | null;
  writeLagMaxMs: number | null;
  /** Rows sent again after a transient failure (batching sinks: Bigtable); null where the sink does not report them. */
  retries: number | null;
}

export interface JobView {
  state: string;
  drainReason?: string;
  elapsedMs: number;
  startedAtMs: number;
  steps: StepView[];
  /** Top-level step ids, in pipeline order. */
  roots: string[];
  stages: StageView[];
  sources: SourceView[];
  sinks: SinkView[];
  deadLetters: { total: number; reasons: DeadLetterReason[] };
  /** The last errors, with the step they came from where known. */
  errors: { message: string; step?: string; atMs: number }[];
  dropped: JobStatus["dropped"];
}

/** A sink's write-lag distribution as Beam reports it. */
export interface Distribution {
  count: number;
  sum: number;
  min: number;
  max: number;
}

const TERMINAL = new Set(["DONE", "FAILED", "CANCELLED"]);

/** Turns successive status snapshots of one job into {@link JobView}s. */
export class JobMonitor {
  private graph: JobGraph | undefined;
  private readonly rates = new RateMeter();
  private endedAtMs: number | undefined;
  private readonly errors: JobView["errors"] = [];

  /** The view of `status`; call it regularly (each call is a sample for the rates). */
  view(status: JobStatus, metrics: { counters: Record<string, number>; distributions: Record<string, Distribution> }, deadLetters: JobView["deadLetters"]): JobView {
    const { counters, distributions } = metrics;
    const graph = (this.graph ??= jobGraph(status.pipeline, status.stages));
    const count = (pcollections: string[]) => pcollections.reduce((n, pc) => n + (status.pcollections[pc] ?? 0), 0);
    const samples = new Map<string, number>();
    for (const step of graph.steps.values()) {
      samples.set(`in:${step.id}`, count(step.inputs));
      samples.set(`out:${step.id}`, count(step.outputs));
    }
    for (const stage of status.stages) samples.set(`stage:${stage.id}`, stage.elements);
    for (const [name, d] of Object.entries(distributions)) samples.set(`dist:${name}`, d.count);
    this.rates.sample(status.nowMs, samples);
    if (TERMINAL.has(status.state)) this.endedAtMs ??= status.nowMs;
    if (status.error !== undefined && this.errors.length === 0) this.errors.push({ ...status.error, atMs: status.nowMs });

    const stageById = new Map(status.stages.map((s) => [s.id, s]));
    const leafState = (step: GraphStep, rate: number): StepState => {
      if (status.error?.step === step.name) return "failed";
      if (step.stages.length > 0 && step.stages.every((id) => stageById.get(id)!.outputWatermark === Infinity)) return "done";
      return rate > 0 ? "running" : "idle";
    };
    const views = new Map<string, StepView>();
    const stepView = (step: GraphStep): StepView => {
      const children = step.children.map((id) => stepView(graph.steps.get(id)!));
      const rate = this.rates.rate(step.inputs.length > 0 ? `in:${step.id}` : `out:${step.id}`);
      const view: StepView = {
        id: step.id,
        name: step.name,
        label: step.label,
        parent: step.parent,
        children: step.children,
        composite: step.children.length > 0,
        urn: step.urn,
        stages: step.stages,
        inputs: step.inputs,
        outputs: step.outputs,
        elementsIn: samples.get(`in:${step.id}`)!,
        elementsOut: samples.get(`out:${step.id}`)!,
        ratePerSecond: rate,
        state: children.length === 0 ? leafState(step, rate) : compositeState(children.map((c) => c.state)),
      };
      views.set(step.id, view);
      return view;
    };
    graph.roots.forEach((id) => stepView(graph.steps.get(id)!));

    const consumed = new Set([...graph.steps.values()].flatMap((s) => s.inputs));
    return {
      state: status.state,
      drainReason: status.drainReason,
      elapsedMs: (this.endedAtMs ?? status.nowMs) - status.startedAtMs,
      startedAtMs: status.startedAtMs,
      steps: preorder(graph).map((id) => views.get(id)!),
      roots: graph.roots,
      stages: status.stages.map((s) => this.stageView(s, status.nowMs, graph)),
      sources: status.stages
        .filter((s) => s.rootKind === "source")
        .map((s) => ({
          stage: s.id,
          name: s.name,
          read: status.pcollections[s.rootPCollection] ?? 0,
          readPerSecond: this.rates.rate(`out:${s.rootTransform}`),
          report: status.sources[s.name] ?? {},
        })),
      sinks: leafSteps(graph)
        .filter((s) => s.inputs.length > 0 && s.outputs.every((pc) => !consumed.has(pc)))
        .map((s) => this.sinkView(s, samples, distributions[writeLagMetricName(s.name)], counters[writeRetriesMetricName(s.name)])),
      deadLetters,
      errors: this.errors,
      dropped: status.dropped,
    };
  }

  private stageView(s: StageStatus, nowMs: number, graph: JobGraph): StageView {
    const rate = this.rates.rate(`stage:${s.id}`);
    return {
      id: s.id,
      name: s.name,
      rootKind: s.rootKind,
      steps: leafSteps(graph).filter((step) => step.stages.includes(s.id)).map((step) => step.id),
      elements: s.elements,
      pending: s.pending,
      ratePerSecond: rate,
      inputWatermark: watermarkJson(s.inputWatermark),
      outputWatermark: watermarkJson(s.outputWatermark),
      dataFreshnessMs: Number.isFinite(s.outputWatermark) ? Math.max(0, nowMs - s.outputWatermark) : null,
      // A grouping's pending elements are open panes waiting for their trigger, not work waiting to run.
      systemLagMs: s.rootKind === "grouping" ? null : s.pending === 0 ? 0 : rate > 0 ? Math.round((s.pending / rate) * 1000) : null,
    };
  }

  private sinkView(step: GraphStep, samples: Map<string, number>, lag: Distribution | undefined, retries: number | undefined): SinkView {
    const received = samples.get(`in:${step.id}`)!;
    return {
      step: step.id,
      name: step.name,
      received,
      written: lag?.count ?? received,
      writesPerSecond: this.rates.rate(lag === undefined ? `in:${step.id}` : `dist:${writeLagMetricName(step.name)}`),
      writeLagMeanMs: lag === undefined || lag.count === 0 ? null : Math.round(lag.sum / lag.count),
      writeLagMaxMs: lag === undefined || lag.count === 0 ? null : lag.max,
      // A batching sink's counter appears with its first retry: until then it has retried nothing.
      retries: retries ?? (step.urn === BATCHING_SINK_URN ? 0 : null),
    };
  }
}

/** Step ids with each composite before its children, in pipeline order. */
function preorder(graph: JobGraph): string[] {
  const ids: string[] = [];
  const visit = (id: string) => {
    ids.push(id);
    graph.steps.get(id)!.children.forEach(visit);
  };
  graph.roots.forEach(visit);
  return ids;
}

function compositeState(states: StepState[]): StepState {
  if (states.includes("failed")) return "failed";
  if (states.includes("running")) return "running";
  if (states.length > 0 && states.every((s) => s === "done")) return "done";
  return "idle";
}

function watermarkJson(ms: number): WatermarkJson {
  return ms === Infinity ? "+inf" : ms === -Infinity ? "-inf" : ms;
}
