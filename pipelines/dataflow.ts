/**
 * `npm run pipeline -- --runner=dataflow …`: this project's pipelines as Dataflow runs them. What
 * is local on our runner moves to GCS: batch inputs given as local files are uploaded with the job,
 * and outputs and dead-letter files default to folders under `--tempLocation`; a local output path
 * is a usage error (a worker cannot write to this machine).
 */
import * as path from "path";
import { UsageError } from "../cli/command_line";
import { gcsClient, isGcsUri, parseGcsUri, type GcsOptions } from "../io/files/gcs";
import type { DeadLetterTarget } from "../io/dead_letters";
import { submitToDataflow, type DataflowJobSpec, type SubmitResult, type SubmitSettings } from "../runners/dataflow/submit";
import type { DataflowOptions } from "../runners/dataflow/options";
import { batchPipeline } from "./batch";
import type { PipelineOptions } from "./options";
import { streamingPipeline } from "./streaming";

/** The topic the streaming job reads when neither `--topic` nor `--subscription` is given. */
export const DEFAULT_DATAFLOW_TOPIC = "transacoes";
const DEFAULT_OUTPUT = "tmp/batch";
const DEFAULT_DEAD_LETTERS = "tmp/dead-letters";

/** Submits the pipeline `options` choose to Dataflow, staging with `@google-cloud/storage`. */
export function runOnDataflow(options: PipelineOptions & { dataflow: DataflowOptions }, settings: Omit<SubmitSettings, "upload">): Promise<SubmitResult> {
  const df = options.dataflow;
  const gcs: GcsOptions | undefined = df.storageEndpoint ? { apiEndpoint: df.storageEndpoint, projectId: df.project } : undefined;
  const submit = (specFor: (folder: string) => DataflowJobSpec) => submitToDataflow(df, specFor, { ...settings, upload: (url, data) => upload(url, data, gcs ?? { projectId: df.project }) });
  const underTemp = (name: string) => `${df.tempLocation.replace(/\/+$/, "")}/${name}/${df.jobName}`;
  const deadLetter = onGcs(options.deadLetter, underTemp("dead-letters"), gcs);
  if (options.pipeline === "batch") {
    const output = options.output === DEFAULT_OUTPUT ? underTemp("output") : options.output;
    if (!isGcsUri(output)) throw new UsageError(`--output=${output}: on Dataflow the job writes to GCS; give --output=gs://BUCKET/PATH (default: under --tempLocation)`);
    return submit((folder) => batchSpec(options.inputs!, output, folder, gcs));
  }
  const source = options.subscription === undefined ? { topic: options.topic ?? DEFAULT_DATAFLOW_TOPIC } : { subscription: options.subscription };
  const spec: DataflowJobSpec = {
    pipeline: streamingPipeline({ ...options, ...source, project: df.project, deadLetter }),
    dataFiles: [],
    describe: [
      `reads             Pub/Sub ${source.subscription ? `subscription ${source.subscription}` : `topic ${source.topic}${options.topic ? "" : " (default; --topic or --subscription to change)"}`}`,
      `writes            Bigtable ${df.project}/${options.instance}: ${options.table}, ${options.aggregateTable}; dead letters to ${describeTarget(deadLetter)}`,
    ],
  };
  return submit(() => spec);
}

/** One request per file (no resumable session: staged files are small and written once). */
async function upload(url: string, data: Buffer, gcs: GcsOptions): Promise<void> {
  const { bucket, name } = parseGcsUri(url);
  await gcsClient(gcs).bucket(bucket).file(name).save(data, { resumable: false, contentType: "application/octet-stream" });
}

/** Batch: local inputs are uploaded under `inputs/` of the staging folder and read from there. */
function batchSpec(inputs: string[], output: string, folder: string, gcs: GcsOptions | undefined): DataflowJobSpec {
  const dataFiles = inputs.filter((input) => !isGcsUri(input)).map((input, i) => ({ name: `inputs/${i}-${path.basename(input)}`, path: input }));
  const local = new Map(dataFiles.map((f) => [f.path, `${folder}${f.name}`]));
  const read = inputs.map((input) => local.get(input) ?? input);
  return {
    pipeline: batchPipeline(read, output, gcs),
    dataFiles,
    describe: [`reads             ${read.join(", ")}${dataFiles.length > 0 ? " (local inputs uploaded with the job)" : ""}`, `writes            ${output}/ (rows, aggregates, dead letters as JSON lines)`],
  };
}

/** Dead letters on Dataflow: files must be on GCS; the default local prefix moves under the temp location. */
function onGcs(target: DeadLetterTarget, fallback: string, gcs: GcsOptions | undefined): DeadLetterTarget {
  if (target.kind !== "files") return target;
  const prefix = target.prefix === DEFAULT_DEAD_LETTERS ? fallback : target.prefix;
  if (!isGcsUri(prefix)) throw new UsageError(`--dead-letter=files:${target.prefix}: on Dataflow dead-letter files go to GCS; give files:gs://BUCKET/PREFIX (default: under --tempLocation)`);
  return { ...target, prefix, gcs };
}

function describeTarget(t: DeadLetterTarget): string {
  return t.kind === "files" ? `${t.prefix}-*.jsonl` : t.kind === "pubsub" ? `Pub/Sub topic ${t.topic}` : `Bigtable table ${t.table}`;
}
