/**
 * The Fn API BundleExecutor: every bundle runs in an SDK worker process (the SDK's own harness, as
 * on Dataflow), reached over Beam's Fn API. Each fused stage is registered as a
 * ProcessBundleDescriptor; a bundle is a ProcessBundle instruction to an idle worker, its elements
 * cross the data channel encoded with the stage's wire coders, side inputs are answered on the state
 * channel from the engine's store, and the worker's metrics come back in the response.
 *
 * Outputs are handed to the engine only once the bundle has succeeded, so a bundle retried after a
 * worker died (once, on a fresh worker, as Dataflow retries bundles) delivers each output exactly
 * once. A step that throws fails the job at once, as in process.
 */
import * as protobufjs from "protobufjs";
import { PipelineContext } from "apache-beam/internal/pipeline";
import { Context } from "apache-beam/coders/coders";
import type { WindowedValue } from "apache-beam/values";
import type { Bundle, BundleExecutor, BundleExecutorFactory, BundleResult, ExecutionServices } from "../bundle_executor";
import type { Plan } from "../../plan/stages";
import { sideInputReader } from "../side_inputs";
import { StepFailure } from "../step_failure";
import { ControlPlane } from "./control_plane";
import { stageDescriptor, type StageDescriptor } from "./descriptor";
import { ProcessWorkers, tail, type FnApiWorker as ProcessWorker, type WorkerSource } from "./process_workers";
import { ExternalWorkers } from "./external_workers";

/** How bundles reach SDK workers. */
export interface FnApiExecutorOptions {
  /** Workers to start (each runs one bundle at a time). */
  workers: number;
  /** Start them in this BeamFnExternalWorkerPool (environment "external") rather than as processes of ours. */
  workerPool?: string;
  /** A worker that has not connected this long after its start fails the job with what it printed. */
  workerStartTimeoutMs: number;
  /** Where the workers' WARN and ERROR log lines go (default: this process's stderr). */
  log?: (line: string) => void;
}

/** Attempts of one bundle: the first, and one retry on a fresh worker if its worker died. */
const ATTEMPTS = 2;

/** A worker died or vanished while running a bundle (retryable, unlike a step that threw). */
class WorkerLost extends Error {}

/** Makes the executor factory for SDK worker processes. */
export function fnApiExecutor(options: FnApiExecutorOptions): BundleExecutorFactory {
  return (plan, services) => new FnApiExecutor(plan, services, options);
}

class FnApiExecutor implements BundleExecutor {
  private readonly plane: ControlPlane;
  private readonly workers: WorkerSource;
  private readonly stages = new Map<string, StageDescriptor>();
  private readonly stageNames: Map<string, string>;
  private readonly stepsOf: Map<string, string>;
  private readonly idle: ProcessWorker[] = [];
  private readonly waiting: ((worker: ProcessWorker) => void)[] = [];
  private readonly ready: Promise<void>;
  private readonly readState: ReturnType<typeof sideInputReader>;
  private wireContext: PipelineContext | undefined;
  private instructions = 0;
  private closed = false;

  constructor(
    private readonly plan: Plan,
    private readonly services: ExecutionServices,
    options: FnApiExecutorOptions,
  ) {
    const { components } = services;
    this.stageNames = new Map(plan.stages.map((s) => [s.id, s.name]));
    this.stepsOf = new Map(plan.stages.map((s) => [s.id, s.transforms.map((id) => `'${components.transforms[id].uniqueName}'`).join(", ")]));
    const stepName = (id: string) => components.transforms[id]?.uniqueName ?? this.stageNames.get(id.split(":")[0]) ?? id;
    this.plane = new ControlPlane(stepName, options.log ?? ((line) => process.stderr.write(`${line}\n`)));
    this.workers =
      options.workerPool === undefined
        ? new ProcessWorkers(this.plane, options.workerStartTimeoutMs)
        : new ExternalWorkers(this.plane, options.workerPool, options.workerStartTimeoutMs);
    this.readState = sideInputReader(components, services.pipelineContext, services.sideInputs);
    this.ready = this.start(options.workers);
    // A start failure surfaces at the first bundle; never as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  private async start(workers: number): Promise<void> {
    const url = await this.plane.start();
    const coders = { ...this.services.components.coders };
    for (const stage of this.plan.stages) {
      const described = stageDescriptor(stage, this.services.components, url, url);
      this.stages.set(stage.id, described);
      this.plane.register(described.descriptor);
      Object.assign(coders, described.descriptor.coders);
    }
    this.wireContext = new PipelineContext({ ...this.services.components, coders }, "");
    const started = await Promise.all(Array.from({ length: workers }, () => this.workers.start()));
    for (const worker of started) this.release(worker);
  }

  async process(bundle: Bundle): Promise<BundleResult | undefined> {
    await this.ready;
    const stage = this.stages.get(bundle.stageId);
    if (stage === undefined) throw new Error(`no stage '${bundle.stageId}' in this plan`);
    for (let attempt = 1; ; attempt++) {
      const worker = await this.acquire();
      try {
        const { outputs, metrics } = await this.runOn(worker, stage, bundle);
        this.release(worker);
        for (const [pcollection, elements] of outputs) {
          const intakes = this.services.outputs(bundle.stageId, pcollection);
          for (const element of elements) for (const intake of intakes) intake(element);
        }
        return { metrics };
      } catch (error) {
        if (!(error instanceof WorkerLost)) {
          this.release(worker);
          throw error;
        }
        this.workers.stop(worker);
        if (attempt >= ATTEMPTS || this.closed) throw new Error(`${error.message} (attempt ${attempt} of ${ATTEMPTS}; the job fails)`);
        this.release(await this.workers.start());
      }
    }
  }

  /** Runs one bundle on `worker`; resolves with its decoded outputs once the worker is done with it. */
  private async runOn(worker: ProcessWorker, stage: StageDescriptor, bundle: Bundle) {
    const instructionId = `${bundle.stageId}-${++this.instructions}`;
    const context = this.wireContext!;
    const received = new Map<string, Uint8Array[]>([...stage.outputs.keys()].map((id) => [id, []]));
    let open = received.size;
    let allReceived!: () => void;
    const sinksClosed = new Promise<void>((resolve) => (allReceived = resolve));
    if (open === 0) allReceived();
    const closeRouting = this.plane.openBundle(instructionId, {
      onData: (transformId, data, isLast) => {
        const chunks = received.get(transformId);
        if (chunks === undefined) return;
        if (data.length > 0) chunks.push(data);
        if (isLast && --open === 0) allReceived();
      },
      readState: this.readState,
    });
    const stageName = this.stageNames.get(bundle.stageId)!;
    try {
      const response = worker.connection.processBundle(instructionId, bundle.stageId);
      const sent = worker.connection.sendInput(instructionId, stage.input.transformId, encodeAll(bundle.elements, context, stage.input.coderId));
      const [result] = await Promise.all([response, sinksClosed, sent]).catch(async (error: Error) => {
        const logged = worker.connection.lastStep.get(instructionId);
        const step = logged ?? stageName;
        if (error.message.startsWith(`SDK worker ${worker.id}`) || error.message.startsWith(`worker ${worker.id}`)) {
          const how = await Promise.race([worker.exited, new Promise<string>((r) => setTimeout(() => r("still running"), 1000))]);
          // Without a log line of the bundle, the step is one of the stage's.
          const where = logged !== undefined ? `at step '${logged}'` : `in one of its steps (${this.stepsOf.get(bundle.stageId)})`;
          throw new WorkerLost(
            `SDK worker ${worker.id} was lost (${how}) running a bundle of stage '${stageName}' ${where}; its last log lines:\n` +
              `${tail(worker.connection.logs)}\nwhat it printed:\n${tail(worker.printed)}`,
          );
        }
        throw new StepFailure(step, undefined, new Error(`in SDK worker ${worker.id}: ${error.message}`));
      });
      const outputs = new Map<string, WindowedValue<unknown>[]>();
      for (const [transformId, chunks] of received) {
        const { pcollection, coderId } = stage.outputs.get(transformId)!;
        outputs.set(pcollection, decodeAll(chunks, context, coderId));
      }
      return { outputs, metrics: result.monitoringInfos };
    } finally {
      closeRouting();
      worker.connection.lastStep.delete(instructionId);
    }
  }

  private acquire(): Promise<ProcessWorker> {
    const worker = this.idle.pop();
    if (worker !== undefined) return Promise.resolve(worker);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: ProcessWorker): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(worker);
    else this.idle.push(worker);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.ready.catch(() => undefined);
    await this.workers.stopAll();
    await this.plane.stop();
  }
}

function encodeAll(elements: readonly WindowedValue<unknown>[], context: PipelineContext, coderId: string): Uint8Array {
  const coder = context.getCoder(coderId);
  const writer = new protobufjs.Writer();
  for (const element of elements) coder.encode(element, writer, Context.needsDelimiters);
  return writer.finish();
}

function decodeAll(chunks: readonly Uint8Array[], context: PipelineContext, coderId: string): WindowedValue<unknown>[] {
  const coder = context.getCoder<WindowedValue<unknown>>(coderId);
  const elements: WindowedValue<unknown>[] = [];
  for (const chunk of chunks) {
    const reader = new protobufjs.Reader(chunk);
    while (reader.pos < reader.len) elements.push(coder.decode(reader, Context.needsDelimiters));
  }
  return elements;
}
