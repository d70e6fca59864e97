/**
 * The Fn API BundleExecutor: every bundle runs in an SDK worker process (the SDK's own harness, as
 * on Dataflow), reached over Beam's Fn API. Each fused stage is registered as a
 * ProcessBundleDescriptor; a bundle is a ProcessBundle instruction to an idle worker, its elements
 * cross the data channel encoded with the stage's wire coders, side inputs are answered on the state
 * channel from the engine's store, and the worker's metrics come back in the response.
 *
 * Outputs are handed to the engine only once the bundle has succeeded, so a bundle retried after a
 * worker died (once, on a fresh worker, as Dataflow retries bundles) delivers each output exactly
 * once; so does what the bundle sent to this process (outbox.ts). A step that throws fails the job
 * at once, as in process. Workers come from an SdkWorkerPool: the job's own, or one kept across jobs.
 */
import * as protobufjs from "protobufjs";
import { PipelineContext } from "apache-beam/internal/pipeline";
import { Context } from "apache-beam/coders/coders";
import type { WindowedValue } from "apache-beam/values";
import type { Bundle, BundleExecutor, BundleExecutorFactory, BundleResult, ExecutionServices } from "../bundle_executor";
import type { Plan } from "../../plan/stages";
import { sideInputReader } from "../side_inputs";
import { StepFailure } from "../step_failure";
import { deliverOutbox } from "../../../../sdk/main_thread";
import { stageDescriptor, type StageDescriptor } from "./descriptor";
import { tail, type FnApiWorker } from "./process_workers";
import { takeOutboxInfo } from "./outbox";
import { SdkWorkerPool, type SdkWorkerPoolOptions } from "./sdk_worker_pool";

/** How bundles reach SDK workers. */
export interface FnApiExecutorOptions extends SdkWorkerPoolOptions {
  /** Workers the job runs bundles on (each runs one bundle at a time). */
  workers: number;
  /** Take the workers from this pool (kept across jobs by its owner) instead of starting the job's own. */
  pool?: SdkWorkerPool;
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
  private readonly pool: SdkWorkerPool;
  private readonly ownsPool: boolean;
  private readonly stages = new Map<string, StageDescriptor>();
  private readonly stageNames: Map<string, string>;
  private readonly stepsOf: Map<string, string>;
  /** Every worker this job holds; `idle` those not running a bundle. */
  private readonly held = new Set<FnApiWorker>();
  private readonly idle: FnApiWorker[] = [];
  private readonly waiting: ((worker: FnApiWorker) => void)[] = [];
  private readonly ready: Promise<void>;
  private readonly readState: ReturnType<typeof sideInputReader>;
  private wireContext: PipelineContext | undefined;
  private job: string | undefined;
  private instructions = 0;
  private failed = false;
  private closed = false;

  constructor(
    private readonly plan: Plan,
    private readonly services: ExecutionServices,
    options: FnApiExecutorOptions,
  ) {
    const { components } = services;
    this.stageNames = new Map(plan.stages.map((s) => [s.id, s.name]));
    this.stepsOf = new Map(plan.stages.map((s) => [s.id, s.transforms.map((id) => `'${components.transforms[id].uniqueName}'`).join(", ")]));
    this.ownsPool = options.pool === undefined;
    this.pool = options.pool ?? new SdkWorkerPool(options);
    this.readState = sideInputReader(components, services.pipelineContext, services.sideInputs);
    this.ready = this.start(options.workers);
    // A start failure surfaces at the first bundle; never as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  private async start(workers: number): Promise<void> {
    const { components } = this.services;
    const stepName = (id: string) => components.transforms[id]?.uniqueName ?? this.stageNames.get(id.split(":")[0]) ?? id;
    const { job, url } = await this.pool.openJob(stepName);
    this.job = job;
    const coders = { ...components.coders };
    for (const stage of this.plan.stages) {
      const described = stageDescriptor(`${job}/${stage.id}`, stage, components, url, url);
      this.stages.set(stage.id, described);
      this.pool.plane.register(described.descriptor);
      Object.assign(coders, described.descriptor.coders);
    }
    this.wireContext = new PipelineContext({ ...components, coders }, "");
    for (const worker of await this.pool.take(workers)) {
      this.held.add(worker);
      this.release(worker);
    }
  }

  async process(bundle: Bundle): Promise<BundleResult | undefined> {
    await this.ready;
    const stage = this.stages.get(bundle.stageId);
    if (stage === undefined) throw new Error(`no stage '${bundle.stageId}' in this plan`);
    for (let attempt = 1; ; attempt++) {
      const worker = await this.acquire();
      try {
        const { outputs, metrics, messages } = await this.runOn(worker, stage, bundle);
        this.release(worker);
        for (const [pcollection, elements] of outputs) {
          const intakes = this.services.outputs(bundle.stageId, pcollection);
          for (const element of elements) for (const intake of intakes) intake(element);
        }
        deliverOutbox(messages);
        return { metrics };
      } catch (error) {
        this.failed = true;
        if (!(error instanceof WorkerLost)) {
          this.release(worker);
          throw error;
        }
        this.held.delete(worker);
        this.pool.discard(worker);
        if (attempt >= ATTEMPTS || this.closed) throw new Error(`${error.message} (attempt ${attempt} of ${ATTEMPTS}; the job fails)`);
        const fresh = await this.pool.start();
        this.held.add(fresh);
        this.release(fresh);
      }
    }
  }

  /** Runs one bundle on `worker`; resolves with its decoded outputs once the worker is done with it. */
  private async runOn(worker: FnApiWorker, stage: StageDescriptor, bundle: Bundle) {
    const instructionId = `${this.job}/${bundle.stageId}-${++this.instructions}`;
    const context = this.wireContext!;
    const received = new Map<string, Uint8Array[]>([...stage.outputs.keys()].map((id) => [id, []]));
    let open = received.size;
    let allReceived!: () => void;
    const sinksClosed = new Promise<void>((resolve) => (allReceived = resolve));
    if (open === 0) allReceived();
    const closeRouting = this.pool.plane.openBundle(instructionId, {
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
      const response = worker.connection.processBundle(instructionId, stage.descriptor.id);
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
      return { outputs, ...takeOutboxInfo(result.monitoringInfos) };
    } finally {
      closeRouting();
      worker.connection.lastStep.delete(instructionId);
    }
  }

  private acquire(): Promise<FnApiWorker> {
    const worker = this.idle.pop();
    if (worker !== undefined) return Promise.resolve(worker);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: FnApiWorker): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(worker);
    else this.idle.push(worker);
  }

  /** Gives the idle workers back to a shared pool (unless the job failed); stops the others, or the job's own pool. */
  async close(): Promise<void> {
    this.closed = true;
    await this.ready.catch(() => undefined);
    if (this.job !== undefined) this.pool.closeJob(this.job);
    if (this.ownsPool) return this.pool.stop();
    const healthy = this.failed ? [] : this.idle.splice(0);
    for (const worker of this.held) if (!healthy.includes(worker)) this.pool.discard(worker);
    this.held.clear();
    this.pool.giveBack(healthy);
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
