/**
 * The settings of one Dataflow submission (validated by the command line, `pipelines/dataflow_options.ts`),
 * and Beam's defaults for what the user leaves out: the job name, the harness image, the endpoint.
 */
import * as os from "os";
import { projectPackage } from "./package";

/** Beam's Dataflow defaults and the API's. */
export const DEFAULT_ENDPOINT = "https://dataflow.googleapis.com";

/** The validated Dataflow settings of one submission. */
export interface DataflowOptions {
  project: string;
  region: string;
  tempLocation: string;
  stagingLocation: string;
  jobName: string;
  streaming: boolean;
  numWorkers?: number;
  maxNumWorkers?: number;
  autoscalingAlgorithm?: "THROUGHPUT_BASED" | "NONE";
  machineType?: string;
  network?: string;
  subnetwork?: string;
  usePublicIps?: boolean;
  serviceAccountEmail?: string;
  workerRegion?: string;
  workerZone?: string;
  labels: Record<string, string>;
  experiments: string[];
  sdkContainerImage: string;
  update: boolean;
  transformNameMapping: Record<string, string>;
  dataflowEndpoint: string;
  storageEndpoint?: string;
  dryRun: boolean;
}

/** Where `runners/dataflow/README.md` says to push the harness image for this project and region. */
export function defaultHarnessImage(project: string, region: string): string {
  return `${region}-docker.pkg.dev/${project}/beam-ts-native/harness:${projectPackage().version}`;
}

/** Beam Python's default: `beamapp-<user>-<MMDDHHMMSS>-<milliseconds>`, kept to the API's rules. */
export function defaultJobName(user: string, now: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const stamp = `${two(now.getUTCMonth() + 1)}${two(now.getUTCDate())}${two(now.getUTCHours())}${two(now.getUTCMinutes())}${two(now.getUTCSeconds())}`;
  const suffix = `-${stamp}-${String(now.getUTCMilliseconds()).padStart(3, "0")}`;
  const name = `beamapp-${user}`.slice(0, 63 - suffix.length).replace(/-+$/, "");
  return `${name}${suffix}`;
}

/** The login name, kept to what a job name may hold ("user" when there is none). */
export function safeUserName(): string {
  let user = "user";
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): keep the placeholder.
  }
  return user.toLowerCase().replace(/[^-a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "user";
}

