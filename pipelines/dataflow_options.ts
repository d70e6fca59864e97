/**
 * The Dataflow flags of `npm run pipeline -- --runner=dataflow`, with Beam's names (Java's and Go's
 * camelCase spelling), and their validation: what Beam's Go SDK checks before it submits
 * (`validateWorkerSettings`: exclusive worker placement, worker counts), plus the rules the
 * Dataflow API applies to names, so a mistake is a usage error here and not a 400 after uploading.
 * Every error names the flag and says what to do.
 */
import { UsageError, type FlagRow } from "../cli/command_line";
import { defaultHarnessImage, defaultJobName, DEFAULT_ENDPOINT, safeUserName, type DataflowOptions } from "../runners/dataflow/options";

/** The Dataflow-only flags; `--project --region --tempLocation --stagingLocation --streaming` are shared with the direct runner. */
export const DATAFLOW_FLAGS: FlagRow[] = [
  { name: "jobName", type: "string", value: "NAME", help: "Dataflow: job name, [-a-z0-9], ≤ 63 characters", default: "beamapp-<user>-<MMDDHHMMSS>-<ms>" },
  { name: "numWorkers", type: "string", value: "N", help: "Dataflow: workers to start with" },
  { name: "maxNumWorkers", type: "string", value: "N", help: "Dataflow: most workers autoscaling may use" },
  { name: "autoscalingAlgorithm", type: "string", value: "THROUGHPUT_BASED|NONE", help: "Dataflow: autoscaling" },
  { name: "machineType", type: "string", value: "TYPE", help: "Dataflow: worker machine type (e.g. n2-standard-2)" },
  { name: "network", type: "string", value: "NETWORK", help: "Dataflow: VPC network of the workers" },
  { name: "subnetwork", type: "string", value: "regions/R/subnetworks/S", help: "Dataflow: subnetwork of the workers (or its full URL)" },
  { name: "usePublicIps", type: "string", value: "true|false", help: "Dataflow: false gives workers private IPs only" },
  { name: "serviceAccountEmail", type: "string", value: "EMAIL", help: "Dataflow: the workers' service account" },
  { name: "workerRegion", type: "string", value: "REGION", help: "Dataflow: run workers in this region (not with --workerZone)" },
  { name: "workerZone", type: "string", value: "ZONE", help: "Dataflow: run workers in this zone (not with --workerRegion)" },
  { name: "labels", type: "string", multiple: true, value: "KEY=VALUE", help: "Dataflow: job label (repeatable)" },
  { name: "experiments", type: "string", multiple: true, value: "NAME[,NAME]", help: "Dataflow: extra experiments (repeatable)" },
  { name: "sdkContainerImage", type: "string", value: "IMAGE", help: "Dataflow: the TypeScript harness image (runners/dataflow/Dockerfile)", default: "<region>-docker.pkg.dev/<project>/beam-ts-native/harness:<version>" },
  { name: "update", type: "boolean", help: "Dataflow: replace the running streaming job of the same --jobName" },
  { name: "transformNameMapping", type: "string", value: "JSON", help: "Dataflow, with --update: {\"old step\":\"new step\"}" },
  { name: "dataflowEndpoint", type: "string", value: "URL", help: "Dataflow: API endpoint (tests point it at a local one)", default: "https://dataflow.googleapis.com" },
  { name: "storageEndpoint", type: "string", value: "URL", help: "Dataflow: GCS endpoint for staging and the job's gs:// IO (tests only)" },
  { name: "dry-run", type: "boolean", help: "Dataflow: write the job request, pipeline.pb and the package under tmp/dataflow/<jobName>/; no network" },
];

/** The raw values of the flags above (and the shared ones), as `parseFlags` returns them. */
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

const NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_KEY = /^[a-z][-_a-z0-9]{0,62}$/;
const LABEL_VALUE = /^[-_a-z0-9]{0,63}$/;
const REGION = /^[a-z]+-[a-z]+[0-9]+$/;
const ZONE = /^[a-z]+-[a-z]+[0-9]+-[a-z]$/;

/**
 * Validates the Dataflow flags; throws a {@link UsageError} naming the first bad flag. `now` and
 * `user` make the default job name (Python's `beamapp-<user>-<MMDDHHMMSS>-<ms>`).
 */
export function parseDataflowOptions(values: FlagValues, now = new Date(), user = safeUserName()): DataflowOptions {
  const text = (name: string) => {
    const v = values[name] as string | undefined;
    if (v !== undefined && v.trim() === "") throw new UsageError(`--${name} is empty: give a value or leave the flag out`);
    return v;
  };
  const project = text("project");
  if (project === undefined) throw new UsageError("--runner=dataflow needs --project: the Google Cloud project to run the job in (e.g. --project my-project)");
  const region = text("region") ?? "europe-west10";
  if (!REGION.test(region)) throw new UsageError(`--region=${region} is not a region name like europe-west10`);
  const tempLocation = text("tempLocation");
  if (tempLocation === undefined) throw new UsageError("--runner=dataflow needs --tempLocation=gs://BUCKET/PATH: where the job keeps temporary files");
  gcsLocation("tempLocation", tempLocation);
  const stagingLocation = text("stagingLocation") ?? `${tempLocation.replace(/\/+$/, "")}/staging`;
  gcsLocation("stagingLocation", stagingLocation);

  const jobName = text("jobName") ?? defaultJobName(user, now);
  if (jobName.length > 63 || !NAME.test(jobName)) {
    throw new UsageError(`--jobName=${jobName}: a Dataflow job name is 1–63 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-'`);
  }
  const update = values.update === true;
  if (update && values.jobName === undefined) throw new UsageError("--update replaces the running job of the same name: give its --jobName");
  const streaming = values.streaming === true || values.pipeline === undefined || values.pipeline === "streaming";
  if (update && !streaming) throw new UsageError("--update replaces a running streaming job; a batch job cannot be updated (run it again instead)");
  const transformNameMapping = nameMapping(text("transformNameMapping"));
  if (Object.keys(transformNameMapping).length > 0 && !update) throw new UsageError("--transformNameMapping applies to --update only: add --update or leave it out");

  const experiments = ((values.experiments as string[] | undefined) ?? []).flatMap((e) => e.split(",")).map((e) => e.trim()).filter(Boolean);
  const workerRegion = text("workerRegion");
  const workerZone = text("workerZone");
  validateWorkerPlacement(workerRegion, workerZone, experiments);

  const numWorkers = workerCount("numWorkers", text("numWorkers"));
  const maxNumWorkers = workerCount("maxNumWorkers", text("maxNumWorkers"));
  if (numWorkers !== undefined && maxNumWorkers !== undefined && numWorkers > maxNumWorkers) {
    throw new UsageError(`--numWorkers=${numWorkers} exceeds --maxNumWorkers=${maxNumWorkers}: raise --maxNumWorkers or lower --numWorkers`);
  }
  const autoscalingAlgorithm = text("autoscalingAlgorithm");
  if (autoscalingAlgorithm !== undefined && autoscalingAlgorithm !== "THROUGHPUT_BASED" && autoscalingAlgorithm !== "NONE") {
    throw new UsageError(`--autoscalingAlgorithm=${autoscalingAlgorithm}: expected THROUGHPUT_BASED or NONE`);
  }
  const usePublicIps = text("usePublicIps");
  if (usePublicIps !== undefined && usePublicIps !== "true" && usePublicIps !== "false") {
    throw new UsageError(`--usePublicIps=${usePublicIps}: expected true or false`);
  }
  const serviceAccountEmail = text("serviceAccountEmail");
  if (serviceAccountEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(serviceAccountEmail)) {
    throw new UsageError(`--serviceAccountEmail=${serviceAccountEmail} is not an email address (NAME@PROJECT.iam.gserviceaccount.com)`);
  }
  const subnetwork = text("subnetwork");
  if (subnetwork !== undefined && !/^(https:\/\/www\.googleapis\.com\/compute\/v1\/projects\/[^/]+\/)?regions\/[^/]+\/subnetworks\/[^/]+$/.test(subnetwork)) {
    throw new UsageError(`--subnetwork=${subnetwork}: expected regions/REGION/subnetworks/NAME or its full https://www.googleapis.com/compute/v1/projects/… URL`);
  }
  const dataflowEndpoint = endpoint("dataflowEndpoint", text("dataflowEndpoint")) ?? DEFAULT_ENDPOINT;
  const storageEndpoint = endpoint("storageEndpoint", text("storageEndpoint"));
  return {
    project,
    region,
    tempLocation,
    stagingLocation,
    jobName,
    streaming,
    numWorkers,
    maxNumWorkers,
    autoscalingAlgorithm,
    machineType: text("machineType"),
    network: text("network"),
    subnetwork,
    usePublicIps: usePublicIps === undefined ? undefined : usePublicIps === "true",
    serviceAccountEmail,
    workerRegion,
    workerZone,
    labels: labels((values.labels as string[] | undefined) ?? []),
    experiments,
    sdkContainerImage: text("sdkContainerImage") ?? defaultHarnessImage(project, region),
    update,
    transformNameMapping,
    dataflowEndpoint,
    storageEndpoint,
    dryRun: values["dry-run"] === true,
  };
}

function gcsLocation(flag: string, value: string): void {
  if (!/^gs:\/\/[a-z0-9][-_.a-z0-9]{1,221}[a-z0-9](\/.*)?$/.test(value)) {
    throw new UsageError(`--${flag}=${value}: Dataflow needs a GCS location, gs://BUCKET/PATH (a bucket name is 3–63 characters of a-z, 0-9, '-', '_' and '.')`);
  }
}

/** Go's `validateWorkerSettings`: one way to place workers. */
function validateWorkerPlacement(workerRegion: string | undefined, workerZone: string | undefined, experiments: string[]): void {
  if (workerRegion !== undefined && workerZone !== undefined) {
    throw new UsageError("--workerRegion and --workerZone are mutually exclusive: give one of them");
  }
  const experiment = experiments.find((e) => e.startsWith("worker_region"));
  if (experiment !== undefined && (workerRegion !== undefined || workerZone !== undefined)) {
    throw new UsageError(`--experiments=${experiment} and --${workerRegion !== undefined ? "workerRegion" : "workerZone"} are mutually exclusive: keep the flag, drop the experiment`);
  }
  if (workerRegion !== undefined && !REGION.test(workerRegion)) throw new UsageError(`--workerRegion=${workerRegion} is not a region name like europe-west10`);
  if (workerZone !== undefined && !ZONE.test(workerZone)) throw new UsageError(`--workerZone=${workerZone} is not a zone name like europe-west10-a`);
}

function workerCount(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag}=${value}: expected a whole number of workers ≥ 1`);
  return n;
}

function labels(entries: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf("=");
    const key = at === -1 ? entry : entry.slice(0, at);
    const value = at === -1 ? "" : entry.slice(at + 1);
    if (!LABEL_KEY.test(key)) throw new UsageError(`--labels=${entry}: a label key is 1–63 characters of a-z, 0-9, '_' and '-', starting with a letter`);
    if (!LABEL_VALUE.test(value)) throw new UsageError(`--labels=${entry}: a label value is at most 63 characters of a-z, 0-9, '_' and '-'`);
    result[key] = value;
  }
  return result;
}

function nameMapping(value: string | undefined): Record<string, string> {
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new UsageError(`--transformNameMapping is not JSON (${(error as Error).message}): expected {"old step":"new step"}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === "string")) {
    throw new UsageError(`--transformNameMapping=${value}: expected a JSON object of step names to step names, {"old step":"new step"}`);
  }
  return parsed as Record<string, string>;
}

function endpoint(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^https?:\/\/[^/\s]+/.test(value)) throw new UsageError(`--${flag}=${value}: expected a URL, http(s)://HOST[:PORT]`);
  return value.replace(/\/+$/, "");
}
