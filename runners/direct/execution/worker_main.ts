/**
 * A worker thread of the worker-thread executor (`worker_threads.ts`). As a Beam worker does, it
 * rebuilds each stage it is given from the pipeline's components — loading every module registered
 * for serialization by name, then letting the SDK's operators deserialize the DoFns — and runs the
 * bundles it is sent through the same fused-stage code the in-process executor uses (stage_part.ts).
 * Inputs arrive and outputs leave encoded with the pipeline's coders; outputs bound for a lifted
 * combine leave as one accumulator per key and window (combiner lifting before the shuffle).
 */
// The SDK's modules import each other in a cycle that only resolves when its root loads first.
import "apache-beam";
import { parentPort } from "worker_threads";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { PipelineContext } from "apache-beam/internal/pipeline";
import { MetricsContainer } from "apache-beam/worker/metrics";
import { KVCoder } from "apache-beam/coders/required_coders";
import type { WindowedValue } from "apache-beam/values";
import { takeOutbox } from "../../../sdk/main_thread";
import { StepFailure } from "./step_failure";
import { takeMetricUpdates } from "./thread_metrics";
import { combineKeyCoder, StagePart, type StagePartServices } from "./stage_part";
import { PCollectionTaps } from "../status";
import type { FailureReport, FromWorker, ToWorker, WorkerStage } from "./thread_protocol";
import { elementCodec, transferable, windowedCodec, type ElementCodec, type EncodedElements } from "./wire";

const port = parentPort!;
const loadedModules = new Set<string>();

/** One stage of one job, rebuilt here: its parts arrive and leave encoded with the pipeline's coders. */
class StageOnWorker {
  private readonly part: StagePart;
  private readonly input: ElementCodec;
  private readonly rawCodecs = new Map<string, ElementCodec>();
  private readonly accumulatorCodecs: [string, ElementCodec][];

  constructor(stage: WorkerStage, services: StagePartServices) {
    const { components, pipelineContext: context } = services;
    this.part = new StagePart(stage, services);
    this.input = elementCodec(components, context, stage.rootPcollection);
    for (const pcollection of stage.outputs) this.rawCodecs.set(pcollection, elementCodec(components, context, pcollection));
    this.accumulatorCodecs = stage.combined.map(({ pcollection, combineTransform }) => {
      const payload = runnerApi.CombinePayload.fromBinary(components.transforms[combineTransform].spec!.payload);
      const kvCoder = new KVCoder(combineKeyCoder(components, context, pcollection), context.getCoder(payload.accumulatorCoderId));
      return [pcollection, windowedCodec(components, context, pcollection, kvCoder as never)];
    });
  }

  /** Runs one part; its sinks' writes have landed when this resolves. */
  async process(input: EncodedElements): Promise<{ outputs: [string, EncodedElements][]; accumulators: [string, EncodedElements][] }> {
    const { outputs, accumulators } = await this.part.process(this.input.decode(input));
    return {
      outputs: outputs.map(([pcollection, elements]) => [pcollection, this.rawCodecs.get(pcollection)!.encode(elements)]),
      accumulators: accumulators.map((elements, i) => [this.accumulatorCodecs[i][0], this.accumulatorCodecs[i][1].encode(elements)]),
    };
  }
}

interface Job {
  stages: Map<string, StageOnWorker>;
  metrics: MetricsContainer;
  /** Elements counted per PCollection since the last bundle's reply. */
  taps: PCollectionTaps;
  /** Elements of watched PCollections since the last reply, recorded by a listener on their tap. */
  watched: Map<string, { codec: ElementCodec; elements: WindowedValue<unknown>[] }>;
  codecOf: (pcollection: string) => ElementCodec;
  /** Bundles run one at a time, in the order sent. */
  queue: Promise<void>;
}
const jobs = new Map<number, Job>();

function openJob(message: Extract<ToWorker, { kind: "open" }>): void {
  for (const file of message.modules) {
    if (loadedModules.has(file)) continue;
    require(file);
    loadedModules.add(file);
  }
  const components = runnerApi.Components.fromBinary(message.components);
  const context = new PipelineContext(components, "");
  const mainInputOf = new Map(message.mainInputOf);
  const metrics = new MetricsContainer();
  const taps = new PCollectionTaps();
  const stages = new Map<string, StageOnWorker>();
  // A part is answered once its writes have landed (worker_threads.ts: no write from a thread overtakes an older one).
  const services: StagePartServices = { components, pipelineContext: context, mainInputOf, metrics, taps, stallTimeoutMs: message.stallTimeoutMs, awaitsWrites: true, stageCopy: message.stageCopy };
  for (const stage of message.stages) stages.set(stage.id, new StageOnWorker(stage, services));
  jobs.set(message.job, { stages, metrics, taps, watched: new Map(), codecOf: (pcollection) => elementCodec(components, context, pcollection), queue: Promise.resolve() });
}

async function runBundle(job: Job, message: Extract<ToWorker, { kind: "bundle" }>): Promise<void> {
  let reply: FromWorker;
  try {
    const stage = job.stages.get(message.stageId);
    if (stage === undefined) throw new Error(`stage '${message.stageId}' was not opened on this worker`);
    watch(job, message.watched);
    const { outputs, accumulators } = await stage.process(message.input);
    reply = {
      kind: "done",
      seq: message.seq,
      outputs,
      accumulators,
      outbox: takeOutbox(),
      metrics: takeMetricUpdates(job.metrics),
      counts: takeCounts(job.taps),
      watchedElements: takeWatched(job),
    };
  } catch (error) {
    takeOutbox();
    takeMetricUpdates(job.metrics);
    takeWatched(job);
    reply = { kind: "failed", seq: message.seq, failure: failureReport(error) };
  }
  const encoded = reply.kind === "done" ? [...reply.outputs, ...reply.accumulators, ...reply.watchedElements].map(([, e]) => e) : [];
  port.postMessage(reply, transferable(encoded));
}

/** Starts recording the elements of newly watched PCollections (a watcher never stops being served here: the main thread drops what nobody watches). */
function watch(job: Job, pcollections: readonly string[]): void {
  for (const pcollection of pcollections) {
    if (job.watched.has(pcollection)) continue;
    const recorded = { codec: job.codecOf(pcollection), elements: [] as WindowedValue<unknown>[] };
    job.watched.set(pcollection, recorded);
    job.taps.observe(pcollection, (element) => void recorded.elements.push(element));
  }
}

function takeWatched(job: Job): [string, EncodedElements][] {
  const taken: [string, EncodedElements][] = [];
  for (const [pcollection, recorded] of job.watched) {
    if (recorded.elements.length === 0) continue;
    taken.push([pcollection, recorded.codec.encode(recorded.elements)]);
    recorded.elements = [];
  }
  return taken;
}

/** Elements counted per PCollection since the last call, which resets the counts. */
function takeCounts(taps: PCollectionTaps): [string, number][] {
  const counts = Object.entries(taps.counts()).filter(([, n]) => n > 0);
  for (const [pcollection] of counts) taps.tap(pcollection).count = 0;
  return counts;
}

/** A failure as plain data; the main thread rebuilds the StepFailure from it. */
function failureReport(error: unknown): FailureReport {
  const cause = error instanceof StepFailure ? error.original : error;
  const causeError = cause instanceof Error ? cause : new Error(String(cause));
  const report: FailureReport = { message: causeError.message, name: causeError.name, stack: causeError.stack };
  if (error instanceof StepFailure) {
    report.step = error.step;
    report.phase = error.phase;
    report.element = cloneable(error.element);
  }
  return report;
}

function cloneable(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
}

port.on("message", (message: ToWorker) => {
  switch (message.kind) {
    case "open":
      try {
        openJob(message);
        port.postMessage({ kind: "opened", job: message.job } satisfies FromWorker);
      } catch (error) {
        port.postMessage({ kind: "broken", failure: failureReport(error) } satisfies FromWorker);
      }
      return;
    case "bundle": {
      const job = jobs.get(message.job);
      if (job === undefined) {
        port.postMessage({ kind: "failed", seq: message.seq, failure: failureReport(new Error(`job ${message.job} is not open on this worker`)) } satisfies FromWorker);
        return;
      }
      job.queue = job.queue.then(() => runBundle(job, message));
      return;
    }
    case "close":
      jobs.delete(message.job);
      return;
  }
});
