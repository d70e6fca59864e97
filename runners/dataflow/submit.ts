/**
 * One submission to Dataflow, in the order that keeps a mistake cheap: credentials (and the job
 * `--update` replaces) first; then the pipeline built, the project built and packed, every
 * registered module checked against the tarball — all before anything is uploaded; then the
 * staging (data files, the package, `pipeline.pb` after the artifact rewrite), the job created,
 * and the job watched. `--dry-run` runs the same steps into a local folder and stops before the API.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as crypto from "crypto";
import * as beam from "apache-beam";
import { Pipeline } from "apache-beam/internal/pipeline";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { getRegisteredModules } from "apache-beam/serialization";
import { DataflowFailure } from "./failure";
import { DataflowApi } from "./api";
import { fileDependencies, isStreaming, NPM_ROLE_URN, withDockerEnvironment, withStagedDependencies } from "./environment";
import { jobRequest, type DataflowJob } from "./job_request";
import type { DataflowOptions } from "./options";
import { packProject, projectPackage, unresolvedModules, type ProjectTarball } from "./package";
import { folderStaging, stagingFolder, uploadStaging, type StagedFile, type Staging, type Upload } from "./staging";
import { stillRunningNotice, watchJob, type WatchEnd } from "./watch";

/** What to run: the pipeline, and local files it reads that must be uploaded first. */
export interface DataflowJobSpec {
  pipeline: (root: beam.Root) => unknown;
  /** Uploaded under the staging folder as `name` before the job starts (e.g. batch inputs). */
  dataFiles: { name: string; path: string }[];
  /** Lines the summary adds (what the job reads and writes). */
  describe: string[];
}

/** How the submission talks and waits. */
export interface SubmitSettings {
  say: (line: string) => void;
  /** How files reach GCS (not used by `--dry-run`). */
  upload: Upload;
  /** Where `--dry-run` writes (default `tmp/dataflow/<jobName>`). */
  dryRunDir?: string;
  /** The longest pause between polls of the job (default 10 s). */
  pollMs?: number;
  /** Aborting stops watching; the job goes on. */
  signal?: AbortSignal;
  now?: Date;
}

/** What a submission did. */
export interface SubmitResult {
  request: DataflowJob;
  staged: StagedFile[];
  /** The created job (not with `--dry-run`). */
  job?: DataflowJob;
  /** How watching ended (not with `--dry-run`). */
  end?: WatchEnd;
  /** `--dry-run`: the folder written. */
  dryRunDir?: string;
}

/**
 * Submits the job `specFor` describes (given the `gs://` staging folder its data files land in);
 * throws a {@link DataflowFailure} for what the user can fix, naming it.
 */
export async function submitToDataflow(options: DataflowOptions, specFor: (stagingFolder: string) => DataflowJobSpec, settings: SubmitSettings): Promise<SubmitResult> {
  const now = settings.now ?? new Date();
  const api = new DataflowApi({ project: options.project, region: options.region, endpoint: options.dataflowEndpoint });
  if (!options.dryRun) await api.credentials();
  let replaceJobId: string | undefined;
  if (options.update && !options.dryRun) {
    replaceJobId = (await api.activeJobNamed(options.jobName))?.id;
    if (replaceJobId === undefined) throw new DataflowFailure(`--update: no active job named ${options.jobName} in ${options.project}/${options.region} to replace (npm run jobs -- list shows the active ones)`);
  }

  const folder = stagingFolder(options.stagingLocation, options.jobName, now);
  const spec = specFor(folder);
  const built = new Pipeline();
  await spec.pipeline(new beam.Root(built));
  const proto = built.getProto();
  const streaming = options.streaming || isStreaming(proto);
  const registeredModules = getRegisteredModules();

  const dryRunDir = options.dryRun ? path.resolve(settings.dryRunDir ?? path.join("tmp", "dataflow", options.jobName)) : undefined;
  const workDir = dryRunDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "dataflow-submit-"));
  try {
    const tarball = packProject(path.join(workDir, "package"));
    const unresolved = unresolvedModules(registeredModules, tarball);
    if (unresolved.length > 0) {
      throw new DataflowFailure(
        `the worker could not load ${unresolved.join(", ")}: each module registered for serialization must be in the package (${tarball.fileName}) ` +
          "under a name its package.json exports resolve, or belong to one of its dependencies. Nothing was uploaded.",
      );
    }
    const staging: Staging = dryRunDir
      ? folderStaging(folder, path.join(dryRunDir, "staged"))
      : uploadStaging(folder, settings.upload);
    const { pipeline, staged } = await stage(proto, tarball, spec.dataFiles, staging, options.sdkContainerImage);
    const pipelineFile = staged.find((f) => f.name === "pipeline.pb")!;
    const request = jobRequest({
      options: { ...options, streaming },
      pipeline,
      pipelineUrl: pipelineFile.url,
      registeredModules,
      clientRequestId: `${now.toISOString().replace(/\D/g, "").slice(0, 17)}-${crypto.randomBytes(4).toString("hex")}`,
      replaceJobId,
    });
    const summary = formatSummary(request, staged, tarball, Object.keys(pipeline.components!.transforms).length, spec.describe);
    if (dryRunDir) {
      fs.writeFileSync(path.join(dryRunDir, "job.json"), `${JSON.stringify(request, null, 2)}\n`);
      settings.say(summary);
      settings.say(`\ndry run: nothing uploaded, no job created. Written to ${path.relative(process.cwd(), dryRunDir) || "."}/: job.json (the request), staged/ (what would be uploaded), package/`);
      return { request, staged, dryRunDir };
    }
    settings.say(summary);
    const job = await api.createJob(request);
    settings.say(`\ncreated job ${job.id} (${job.name})${replaceJobId ? `, replacing ${replaceJobId}` : ""}\n  ${api.consoleUrl(job.id!)}`);
    const end = await watchJob(api, job.id!, { say: settings.say, pollMs: settings.pollMs, signal: settings.signal });
    if (end.state === "WATCH_STOPPED") settings.say(stillRunningNotice(api, job.id!));
    return { request, staged, job, end };
  } finally {
    if (!dryRunDir) fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * Uploads the data files and the environment's dependencies, then `pipeline.pb` with every `file`
 * artifact rewritten to the `url` it was uploaded to; checks each upload's sha256 against the artifact's.
 */
async function stage(
  proto: runnerApi.Pipeline,
  tarball: ProjectTarball,
  dataFiles: DataflowJobSpec["dataFiles"],
  staging: Staging,
  image: string,
): Promise<{ pipeline: runnerApi.Pipeline; staged: StagedFile[] }> {
  const staged: StagedFile[] = [];
  for (const file of dataFiles) staged.push(await staging.put(file.name, fs.readFileSync(file.path)));
  const withImage = withDockerEnvironment(proto, image, [{ path: tarball.path, sha256: tarball.sha256, roleUrn: NPM_ROLE_URN, packageName: projectPackage().name }]);
  const landed = new Map<string, { url: string; sha256: string }>();
  for (const dependency of fileDependencies(withImage)) {
    const file = await staging.put(path.basename(dependency.path), fs.readFileSync(dependency.path));
    if (file.sha256 !== dependency.sha256) throw new Error(`${dependency.path} changed while it was staged (sha256 ${file.sha256}, expected ${dependency.sha256})`);
    staged.push(file);
    landed.set(dependency.path, file);
  }
  const pipeline = withStagedDependencies(withImage, landed);
  staged.push(await staging.put("pipeline.pb", Buffer.from(runnerApi.Pipeline.toBinary(pipeline))));
  return { pipeline, staged };
}

function formatSummary(request: DataflowJob, staged: StagedFile[], tarball: ProjectTarball, transforms: number, describe: string[]): string {
  const env = request.environment!;
  const pool = env.workerPools[0];
  const options = env.sdkPipelineOptions.options;
  const size = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);
  const width = Math.max(...staged.map((f) => f.name.length));
  const workers = [
    pool.numWorkers === undefined ? "" : `${pool.numWorkers} to start`,
    pool.autoscalingSettings?.maxNumWorkers === undefined ? "" : `at most ${pool.autoscalingSettings.maxNumWorkers}`,
    pool.autoscalingSettings?.algorithm ?? "",
    pool.machineType ?? "",
  ].filter(Boolean);
  return [
    `Dataflow job ${request.name}: ${request.type} in project ${request.projectId}, region ${options.region}`,
    ...describe.map((line) => `  ${line}`),
    `  harness image     ${pool.sdkHarnessContainerImages.map((i) => i.containerImage).join(", ")} (environment ${pool.sdkHarnessContainerImages.map((i) => i.environmentId).join(", ")})`,
    `  workers           ${workers.length > 0 ? workers.join(", ") : "Dataflow's defaults (autoscaling)"}`,
    `  experiments       ${env.experiments.join(", ")}`,
    `  temp location     ${env.tempStoragePrefix}`,
    `  pipeline          ${transforms} transforms; ${(options.registered_node_modules as string[]).length} registered modules, each resolved in ${tarball.fileName} (${tarball.files.length} files)`,
    `  staged to         ${staged[0] ? staged[0].url.slice(0, staged[0].url.length - staged[0].name.length) : "(nothing)"}`,
    ...staged.map((f) => `    ${f.name.padEnd(width)}  ${size(f.bytes).padStart(10)}  sha256 ${f.sha256.slice(0, 16)}…`),
    `  pipelineUrl       ${options.pipelineUrl}`,
  ].join("\n");
}
