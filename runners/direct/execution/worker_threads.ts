/**
 * The worker-thread executor (`--workers=N`, N > 1): fused stages run on a pool of N worker threads
 * (`worker_pool.ts`), each of which rebuilds the stages from the pipeline's components as a Beam
 * worker does (`worker_main.ts`). The engine stays on this thread and stays the one owner of time,
 * watermarks, triggers, durability and acks: it hands over one bundle at a time, as with the
 * in-process executor, and this executor cuts it into contiguous parts (`bundle_parts.ts`), taken
 * by whichever thread is free, this one included. A bundle is done when every part is: outputs are
 * then delivered in input order, as the in-process executor would deliver them. A stage's bundle is
 * shipped so only while that makes its bundles finish sooner than running them here, and the threads
 * are started only once a bundle has enough work left to pay for their start (`shipping.ts`): until
 * then the job runs as on one thread.
 *
 * Elements cross threads only at stage boundaries, encoded with the pipeline's coders (`wire.ts`).
 * Outputs bound for a lifted combine over a bounded input are pre-combined on the worker — one
 * accumulator per key and window per part — and merged by the engine's grouping. Stages that read
 * side inputs run on this thread (the engine's side-input store lives here), and so do stages whose
 * steps call a module declared `runsOnJobThread` (`job_thread_steps.ts`).
 */
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { WindowedValue, KV } from "apache-beam/values";
import { KVCoder } from "apache-beam/coders/required_coders";
import type { Coder } from "apache-beam/coders/coders";
import { deliverOutbox } from "../../../sdk/main_thread";
import type { BundleExecutor, BundleExecutorFactory, BundleResult, ExecutionServices } from "./bundle_executor";
import { inProcessExecutor } from "./in_process";
import { PartialAccumulator } from "./partial_accumulator";
import { StepFailure } from "./step_failure";
import { mergeMetricUpdates } from "./thread_metrics";
import type { FailureReport, FromWorker, WorkerStage } from "./thread_protocol";
import { acquirePool, startedPool, type WorkerPool, type WorkerThread } from "./worker_pool";
import { StagePart, type PartOutputs, type StagePartServices } from "./stage_part";
import { BundleParts } from "./bundle_parts";
import { ShippingChoice, startsPoolAtJobStart, type PoolState } from "./shipping";
import { announcedInputBytes } from "../../../sdk/input_bytes";
import { elementCodec, transferable, windowedCodec, type ElementCodec } from "./wire";
import { stageModules } from "./stage_modules";
import { jobThreadStep } from "./job_thread_steps";
import type { Plan, PlannedStage } from "../plan/stages";
import { COMBINE_PER_KEY } from "../plan/urns";
import type { StageCopy } from "../../../sdk/stage_copy";

type Emit = (element: WindowedValue<unknown>) => void;

/** How one stage's outputs are delivered back on this thread. */
interface StageRoute {
  stage: PlannedStage;
  input: ElementCodec;
  worker: WorkerStage;
  /** Per raw output PCollection: its codec and the engine intakes (those not fed by pre-combining). */
  raw: Map<string, { codec: ElementCodec; emits: Emit[] }>;
  /** Per entry of `worker.combined`, in order: the accumulators' codec and the combine's intake. */
  combined: { codec: ElementCodec; emit: Emit }[];
  /** True when the stage's input is a bounded PCollection. */
  bounded: boolean;
}

/** A part done: on a thread (its reply, still encoded) or on this one (its outputs). */
type PartDone = { reply: Extract<FromWorker, { kind: "done" }>; local?: undefined } | { local: PartOutputs; reply?: undefined };

/** Hands a part's accumulators to a lifted combine's intake, marked as accumulators (not inputs). */
function emitAccumulators(emit: Emit, elements: WindowedValue<KV<unknown, unknown>>[]): void {
  for (const element of elements) emit({ ...element, value: { key: element.value.key, value: new PartialAccumulator(element.value.value) } });
}

let nextJob = 0;

/**
 * Parts a worker thread holds at once: the one it runs and a small one queued behind it (the
 * bundle's smallest part, {@link BundleParts.next}), so that it goes on to the next without
 * waiting for this thread to hand it one. This thread reads a reply only between the synchronous
 * stretches of its own part (a chunk of a file's split through the stage: ~120 ms at
 * `--cpu-load 100`); with one part at a time the worker sat idle for that long after every part
 * (73–203 ms a part, ~0.8 s of a 7.5 s bundle, measured). A queued part of a share's size instead
 * held the end of the bundle back (the job's thread done 0.6–0.8 s before the worker).
 */
export const PARTS_PER_THREAD = 2;

/** The executor running stages on `workers` threads. */
export function workerThreadsExecutor(workers: number): BundleExecutorFactory {
  return (plan, services): BundleExecutor => {
    const routes = new Map(
      plan.stages
        .filter((s) => s.sideInputs.length === 0)
        // Parts come back as a whole: what they emit cannot be traced to its element (see ExecutionServices.lineage).
        .filter((s) => !services.lineageStages?.has(s.id))
        .map((s) => stageRoute(s, plan, services))
        .filter((r) => jobThreadStep(services.components, [...r.worker.transforms, ...r.worker.combined.map((c) => c.combineTransform)]) === undefined)
        .map((r) => [r.stage.id, r]),
    );
    const onMain = plan.stages.filter((s) => !routes.has(s.id));
    const local = onMain.length === 0 ? undefined : inProcessExecutor({ stages: onMain, mainInputOf: plan.mainInputOf }, services);
    const job = nextJob++;
    /** Opens this job on the threads of `taken`, the job's pool from now on. */
    const openOn = (taken: WorkerPool): WorkerPool => {
      const components = runnerApi.Components.toBinary(services.components);
      const modules = stageModules(services.components, components, [...routes.values()].flatMap((r) => r.worker.transforms));
      // Copy 0 of the stages' parts is this thread's, copy i the i-th worker thread's.
      taken.threads.forEach((thread, i) => {
        thread.post({
          kind: "open",
          job,
          components,
          stages: [...routes.values()].map((r) => r.worker),
          mainInputOf: [...plan.mainInputOf],
          modules,
          stallTimeoutMs: services.stallTimeoutMs,
          stageCopy: { index: i + 1, count: workers },
        });
      });
      return taken;
    };
    // The job's thread takes parts too: `workers` counts it. Threads already started (idle after a
    // previous job) cost nothing to use; new ones are started once a stage's bundle is worth it.
    const threads = workers - 1;
    const idle = routes.size === 0 ? undefined : startedPool(threads);
    let pool = idle === undefined ? undefined : openOn(idle);
    const poolNow = (): WorkerPool => (pool ??= openOn(acquirePool(threads)));
    // A job announcing enough input starts its threads now, while this thread runs its first stages.
    if (pool === undefined && routes.size > 0 && startsPoolAtJobStart(announcedInputBytes(services.components))) poolNow();
    const poolState = (): PoolState => (pool === undefined ? "none" : pool.threads.some((thread) => thread.started) ? "started" : "starting");
    const codecs = new Map<string, ElementCodec>();
    const codecOf = (pcollection: string) => codecs.get(pcollection) ?? codecs.set(pcollection, elementCodec(services.components, services.pipelineContext, pcollection)).get(pcollection)!;
    let inFlight = 0;
    let failed = false;

    // Per stage, on this thread: one StagePart for what runs here whole (its writes handed to the
    // engine, as in process; a copy of its own, run alone) and one for the parts this thread takes
    // of a shipped bundle (which wait for their writes, as on a worker thread; copy 0 of those).
    const stageParts = (awaitsWrites: boolean, stageCopy?: StageCopy) => {
      const built = new Map<string, StagePart>();
      const servicesHere: StagePartServices = { ...services, mainInputOf: plan.mainInputOf, awaitsWrites, stageCopy };
      return (route: StageRoute) => built.get(route.stage.id) ?? built.set(route.stage.id, new StagePart(route.worker, servicesHere)).get(route.stage.id)!;
    };
    const bundlePart = stageParts(false);
    const partHere = stageParts(true, { index: 0, count: workers });

    const choices = new Map<string, ShippingChoice>();
    const choiceOf = (route: StageRoute) => choices.get(route.stage.id) ?? choices.set(route.stage.id, new ShippingChoice(route.bounded)).get(route.stage.id)!;

    // Writes of bundles run whole here land while the next bundles run, as in process; a stage's
    // next shipped bundle waits for them, so that no write from a thread overtakes an older one
    // (an older pane overwriting a newer one).
    const landing = new Map<string, Promise<void>>();

    /** Runs elements of a bundle on this thread, their writes handed to the engine (`written`: still landing). */
    async function runHere(route: StageRoute, elements: WindowedValue<unknown>[]): Promise<BundleResult | undefined> {
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const local = await bundlePart(route).process(elements);
      deliver(route, { local });
      const cpu = process.cpuUsage(cpuStart);
      const choice = choiceOf(route);
      choice.ranHere(performance.now() - start, elements.length, poolState(), (cpu.user + cpu.system) / 1000);
      // The threads start on another core while this one goes on sampling the stage's cost.
      if (choice.startsPoolEarly(poolState())) poolNow();
      if (local.written === undefined) return undefined;
      const written = local.written;
      landing.set(route.stage.id, Promise.all([landing.get(route.stage.id), written.catch(() => undefined)]).then(() => undefined));
      return { written };
    }

    /** Runs a bundle, here or shipped in parts as the stage's choice says, its writes handed over when run here. */
    async function run(route: StageRoute, elements: WindowedValue<unknown>[]): Promise<BundleResult | undefined> {
      const written: Promise<void>[] = [];
      let left = elements;
      do {
        const next = choiceOf(route).next(left.length, poolState());
        if (next === "ship") {
          await runInParts(route, left);
          break;
        }
        const whole = next === left.length;
        const ran = await runHere(route, whole ? left : left.slice(0, next));
        if (ran?.written !== undefined) written.push(ran.written);
        left = whole ? [] : left.slice(next);
      } while (left.length > 0);
      if (written.length === 0) return undefined;
      return { written: written.length === 1 ? written[0] : Promise.all(written).then(() => undefined) };
    }

    async function runInParts(route: StageRoute, elements: WindowedValue<unknown>[]): Promise<void> {
      const pool = poolNow();
      await landing.get(route.stage.id);
      landing.delete(route.stage.id);
      const begun = performance.now();
      const choice = choiceOf(route);
      const parts = new BundleParts(elements, pool.threads.length + 1);
      const what = `a bundle of stage '${route.stage.name}'`;
      const watched = services.taps.watched();
      const done: PartDone[] = [];
      // Whoever is free takes the next part: a thread slower to start, or descheduled on a busy
      // machine, takes fewer parts instead of holding the bundle back.
      const drain = async (run: (part: WindowedValue<unknown>[]) => Promise<PartDone>, queued = false) => {
        for (let part = parts.next(queued); part !== undefined; part = parts.next(queued)) {
          try {
            done[part.index] = await run(part.elements);
          } catch (error) {
            parts.stop(); // the bundle has failed: nobody takes another of its parts
            throw error;
          }
        }
      };
      let crossed = false;
      const onThread = (thread: WorkerThread) => async (part: WindowedValue<unknown>[]): Promise<PartDone> => {
        crossed = true;
        const input = route.input.encode(part);
        const reply = await thread.request({ kind: "bundle", job, stageId: route.stage.id, input, watched }, transferable([input]), what, (reply) => failureOf(reply.failure));
        return { reply };
      };
      const onThisThread = () => drain(async (part) => ({ local: await partHere(route).process(part) }));
      // Threads that have started take the first parts (a bundle of one part crosses to one); this
      // thread, otherwise idle while the engine waits, takes parts too. A thread still starting (a
      // new pool's: each loads its modules for ~0.4 s, seconds on a busy machine) takes parts once
      // it is ready; the bundle never waits for it: if this thread has taken every part by then,
      // the bundle is done without it.
      const onThreadInTurn = (thread: WorkerThread) => Promise.all(Array.from({ length: PARTS_PER_THREAD }, (_, slot) => drain(onThread(thread), slot > 0)));
      const started = pool.threads.filter((thread) => thread.started);
      const draining: Promise<unknown>[] = started.map(onThreadInTurn);
      const here = onThisThread();
      draining.push(here);
      for (const thread of pool.threads) {
        if (!started.includes(thread)) draining.push(Promise.race([thread.ready, here]).then(() => onThreadInTurn(thread)));
      }
      await Promise.all(draining);
      for (const part of done) deliver(route, part);
      // A bundle the job's thread ran alone (its threads still starting) says nothing of shipping.
      if (crossed) choice.shipped(performance.now() - begun, elements.length);
    }

    function deliver(route: StageRoute, part: PartDone): void {
      if (part.local !== undefined) {
        for (const [pcollection, elements] of part.local.outputs) {
          const { emits } = route.raw.get(pcollection)!;
          for (const element of elements) for (const emit of emits) emit(element);
        }
        part.local.accumulators.forEach((elements, i) => emitAccumulators(route.combined[i].emit, elements));
        return;
      }
      const reply = part.reply;
      for (const [pcollection, encoded] of reply.outputs) {
        const { codec, emits } = route.raw.get(pcollection)!;
        for (const element of codec.decode(encoded)) for (const emit of emits) emit(element);
      }
      reply.accumulators.forEach(([, encoded], i) => {
        const { codec, emit } = route.combined[i];
        emitAccumulators(emit, codec.decode(encoded) as WindowedValue<KV<unknown, unknown>>[]);
      });
      deliverOutbox(reply.outbox);
      mergeMetricUpdates(services.metrics, reply.metrics);
      for (const [pcollection, count] of reply.counts) services.taps.tap(pcollection).count += count;
      for (const [pcollection, encoded] of reply.watchedElements) {
        const tap = services.taps.tap(pcollection);
        for (const element of codecOf(pcollection).decode(encoded)) tap.show(element);
      }
    }

    return {
      async process(bundle): Promise<BundleResult | undefined> {
        const route = routes.get(bundle.stageId);
        if (route === undefined) {
          if (local === undefined) throw new Error(`no stage '${bundle.stageId}' in this plan`);
          return local.process(bundle);
        }
        inFlight++;
        try {
          return await run(route, bundle.elements);
        } catch (error) {
          failed = true;
          throw error;
        } finally {
          inFlight--;
        }
      },
      async close() {
        for (const thread of pool?.threads ?? []) thread.post({ kind: "close", job });
        // A failed or abandoned job's threads may still be running its work: stop them all.
        await Promise.all([pool?.release(failed || inFlight > 0), local?.close()]);
      },
    };
  };
}

/** What the threads need to rebuild `stage`, and how its outputs come back. */
function stageRoute(stage: PlannedStage, plan: Plan, services: ExecutionServices): StageRoute {
  const { components, pipelineContext: context } = services;
  const raw = new Map<string, { codec: ElementCodec; emits: Emit[] }>();
  const worker: WorkerStage = { id: stage.id, rootPcollection: stage.root.pcollection, transforms: stage.transforms, outputs: [], combined: [] };
  const combined: StageRoute["combined"] = [];
  for (const [pcollection, destinations] of stage.outputs) {
    // The runner's intakes for a PCollection follow the order of its destinations in the plan.
    const emits = services.outputs(stage.id, pcollection);
    destinations.forEach((destination, i) => {
      const combine = destination.kind === "stage" ? preCombinable(plan.stages.find((s) => s.id === destination.stage)!, components) : undefined;
      if (combine !== undefined) {
        const payload = runnerApi.CombinePayload.fromBinary(components.transforms[combine].spec!.payload);
        const keyCoderId = components.coders[components.pcollections[pcollection].coderId].componentCoderIds[0];
        const kvCoder = new KVCoder(context.getCoder(keyCoderId), context.getCoder(payload.accumulatorCoderId)) as Coder<unknown>;
        worker.combined.push({ pcollection, combineTransform: combine });
        combined.push({ codec: windowedCodec(components, context, pcollection, kvCoder), emit: emits[i] });
        return;
      }
      let entry = raw.get(pcollection);
      if (entry === undefined) {
        entry = { codec: elementCodec(components, context, pcollection), emits: [] };
        raw.set(pcollection, entry);
        worker.outputs.push(pcollection);
      }
      entry.emits.push(emits[i]);
    });
  }
  const bounded = components.pcollections[stage.root.pcollection]?.isBounded === runnerApi.IsBounded_Enum.BOUNDED;
  return { stage, input: elementCodec(components, context, stage.root.pcollection), worker, raw, combined, bounded };
}

/**
 * The lifted combine rooting `stage`, when its inputs may be pre-combined on the workers: over a
 * bounded input (one firing, all on time) in windows that do not merge, pre-combining changes nothing
 * but the number of elements crossing threads.
 */
function preCombinable(stage: PlannedStage, components: runnerApi.Components): string | undefined {
  if (stage.root.kind !== "grouping") return undefined;
  const transform = components.transforms[stage.root.transformId];
  if (transform.spec?.urn !== COMBINE_PER_KEY) return undefined;
  const input = components.pcollections[Object.values(transform.inputs)[0]];
  const windowing = components.windowingStrategies[input.windowingStrategyId];
  if (input.isBounded === runnerApi.IsBounded_Enum.UNBOUNDED || windowing.mergeStatus === runnerApi.MergeStatus_Enum.NEEDS_MERGE) return undefined;
  return stage.root.transformId;
}

/** The error a failed part rejects with: the step's StepFailure, rebuilt from what the worker sent. */
function failureOf(report: FailureReport): Error {
  const cause = new Error(report.message);
  cause.name = report.name;
  cause.stack = report.stack ?? `${report.name}: ${report.message}`;
  return report.step === undefined ? cause : new StepFailure(report.step, report.element, cause, report.phase);
}
