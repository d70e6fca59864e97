/**
 * The in-process BundleExecutor: every fused stage's operators built once, in this thread, and each
 * bundle pushed through them as JS objects (fused_stage.ts); side inputs served from the engine's
 * store through the SDK's state interface (side_inputs.ts).
 */
import type { BundleExecutor, BundleExecutorFactory, BundleResult } from "./bundle_executor";
import { fusedStageExecutor } from "./fused_stage";
import { sideInputStateProvider } from "./side_inputs";

/** The default executor: stages run in this process. */
export const inProcessExecutor: BundleExecutorFactory = (plan, services): BundleExecutor => {
  const stateProvider = sideInputStateProvider(services.components, services.pipelineContext, services.sideInputs);
  const stages = new Map(
    plan.stages.map((stage) => [
      stage.id,
      fusedStageExecutor(stage, {
        components: services.components,
        pipelineContext: services.pipelineContext,
        mainInputOf: plan.mainInputOf,
        metrics: services.metrics,
        stateProvider,
        exitsOf: (pcollection) => services.outputs(stage.id, pcollection),
        stallTimeoutMs: services.stallTimeoutMs,
        taps: services.taps,
        lineage: services.lineage,
      }),
    ]),
  );
  return {
    process(bundle): Promise<BundleResult | undefined> {
      const run = stages.get(bundle.stageId);
      if (run === undefined) throw new Error(`no stage '${bundle.stageId}' in this plan`);
      return run(bundle.elements);
    },
    // Nothing was started outside this thread.
    close: async () => undefined,
  };
};
