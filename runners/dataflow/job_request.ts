/**
 * The Dataflow v1b3 `Job` a portable (Runner v2) submission creates, with the structure Beam's Go
 * (`dataflowlib/job.go`) and Python (`apiclient.py`) SDKs build: no steps (the pipeline is the
 * `pipeline.pb` named by `pipelineUrl`), the SDK harness image per environment, the pipeline
 * options one level down in `sdkPipelineOptions.options` (where the TypeScript worker reads them).
 */
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { DataflowOptions } from "./options";

/** Every portable submission (Go's and Python's), and the TypeScript SDK's sibling workers. */
export const BASE_EXPERIMENTS = ["beam_fn_api", "use_runner_v2", "use_unified_worker", "use_portable_job_submission", "use_sibling_sdk_workers"];
/** Added for streaming jobs. */
export const STREAMING_EXPERIMENTS = ["enable_streaming_engine", "enable_windmill_service"];

/** The SDK version the harness runs (the `apache-beam` package this project pins). */
const SDK_VERSION = "2.49.0";

/** The fields of a v1b3 `Job` this project sends and reads. */
export interface DataflowJob {
  id?: string;
  projectId: string;
  name: string;
  type: "JOB_TYPE_BATCH" | "JOB_TYPE_STREAMING";
  location?: string;
  clientRequestId?: string;
  currentState?: string;
  currentStateTime?: string;
  requestedState?: string;
  createTime?: string;
  replaceJobId?: string;
  replacedByJobId?: string;
  transformNameMapping?: Record<string, string>;
  labels?: Record<string, string>;
  steps?: unknown[];
  environment?: DataflowEnvironment;
}

/** `Job.environment`. */
export interface DataflowEnvironment {
  experiments: string[];
  tempStoragePrefix: string;
  serviceAccountEmail?: string;
  workerRegion?: string;
  workerZone?: string;
  userAgent: { name: string; version: string };
  version: { job_type: string; major: string };
  sdkPipelineOptions: { options: Record<string, unknown>; display_data: { key: string; namespace: string; type: "STRING"; strValue: string }[] };
  workerPools: WorkerPool[];
}

/** `Environment.workerPools[]`. */
export interface WorkerPool {
  kind: "harness";
  numWorkers?: number;
  autoscalingSettings?: { algorithm?: string; maxNumWorkers?: number };
  machineType?: string;
  network?: string;
  subnetwork?: string;
  ipConfiguration?: "WORKER_IP_PUBLIC" | "WORKER_IP_PRIVATE";
  sdkHarnessContainerImages: { containerImage: string; useSingleCorePerContainer: boolean; environmentId: string; capabilities: string[] }[];
}

/** What the request is made of besides the options. */
export interface JobRequestParts {
  options: DataflowOptions;
  /** The pipeline as uploaded (Docker environments, `url` artifacts). */
  pipeline: runnerApi.Pipeline;
  /** `gs://…/pipeline.pb`. */
  pipelineUrl: string;
  /** `registered_node_modules`: what the worker must `require` before it runs a bundle. */
  registeredModules: string[];
  clientRequestId: string;
  /** With `--update`: the id of the running job this one replaces. */
  replaceJobId?: string;
}

/** The experiments of a job: the base ones, the streaming ones, then the user's, each once. */
export function experiments(streaming: boolean, extra: string[]): string[] {
  return [...new Set([...BASE_EXPERIMENTS, ...(streaming ? STREAMING_EXPERIMENTS : []), ...extra])];
}

/** The `Job` to create. */
export function jobRequest(parts: JobRequestParts): DataflowJob {
  const o = parts.options;
  const jobExperiments = experiments(o.streaming, o.experiments);
  const images = Object.entries(parts.pipeline.components!.environments).map(([id, environment]) => ({
    containerImage: runnerApi.DockerPayload.fromBinary(environment.payload).containerImage,
    // The SDK's sibling workers share one container across the cores (Go's rule: single core unless the environment says multi-core).
    useSingleCorePerContainer: !environment.capabilities.includes("beam:protocol:multi_core_bundle_processing:v1"),
    environmentId: id,
    capabilities: environment.capabilities,
  }));
  const pool: WorkerPool = {
    kind: "harness",
    numWorkers: o.numWorkers,
    autoscalingSettings:
      o.autoscalingAlgorithm === undefined && o.maxNumWorkers === undefined
        ? undefined
        : {
            algorithm: o.autoscalingAlgorithm === undefined ? undefined : o.autoscalingAlgorithm === "NONE" ? "AUTOSCALING_ALGORITHM_NONE" : "AUTOSCALING_ALGORITHM_BASIC",
            maxNumWorkers: o.maxNumWorkers,
          },
    machineType: o.machineType,
    network: o.network,
    subnetwork: o.subnetwork,
    ipConfiguration: o.usePublicIps === undefined ? undefined : o.usePublicIps ? "WORKER_IP_PUBLIC" : "WORKER_IP_PRIVATE",
    sdkHarnessContainerImages: images,
  };
  const pipelineOptions: Record<string, unknown> = {
    project: o.project,
    region: o.region,
    jobName: o.jobName,
    tempLocation: o.tempLocation,
    stagingLocation: o.stagingLocation,
    streaming: o.streaming,
    experiments: jobExperiments,
    sdkContainerImage: o.sdkContainerImage,
    pipelineUrl: parts.pipelineUrl,
    registered_node_modules: parts.registeredModules,
  };
  return omitUndefined({
    projectId: o.project,
    name: o.jobName,
    type: o.streaming ? "JOB_TYPE_STREAMING" : "JOB_TYPE_BATCH",
    clientRequestId: parts.clientRequestId,
    labels: Object.keys(o.labels).length > 0 ? o.labels : undefined,
    replaceJobId: parts.replaceJobId,
    transformNameMapping: parts.replaceJobId !== undefined && Object.keys(o.transformNameMapping).length > 0 ? o.transformNameMapping : undefined,
    steps: [],
    environment: {
      experiments: jobExperiments,
      tempStoragePrefix: o.tempLocation,
      serviceAccountEmail: o.serviceAccountEmail,
      workerRegion: o.workerRegion,
      workerZone: o.workerZone,
      userAgent: { name: "Apache Beam SDK for TypeScript (beam-ts-native)", version: SDK_VERSION },
      // Python's Runner v2 environment version; the job type says portable (FnAPI) batch or streaming.
      version: { job_type: o.streaming ? "FNAPI_STREAMING" : "FNAPI_BATCH", major: "8" },
      sdkPipelineOptions: {
        options: pipelineOptions,
        display_data: Object.entries(pipelineOptions)
          .filter(([key]) => key !== "registered_node_modules")
          .map(([key, value]) => ({ key, namespace: "beam-ts-native", type: "STRING" as const, strValue: Array.isArray(value) ? value.join(",") : String(value) })),
      },
      workerPools: [pool],
    },
  });
}

/** The value without undefined fields, recursively (so the request shows only what is set). */
function omitUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(omitUndefined) as T;
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, omitUndefined(v)])) as T;
}
