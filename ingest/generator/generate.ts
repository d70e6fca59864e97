/**
 * A run of the generator: plans the files (transactions, then customers and devices), has the
 * threads make them, and stores each one from the main thread as it arrives, then writes the
 * manifest.
 *
 * Memory stays bounded whatever the total size: at most `workers + 1` files are being made or
 * waiting to be stored at any time (a new one is started only when one has been stored), and a
 * thread holds one row group of rows at a time.
 */
import * as path from "path";
import { startThreadPool, taskModule, type ThreadPool } from "../../threads/pool";
import { destinationOf, type UploadOptions } from "./destination";
import { fileExtension, type Encoding } from "./file_format";
import type { EncodedFile, FileTask } from "./file_task";
import type { ProgressReporter } from "./progress";
import { TABLE_SPECS, type TableName } from "./schema";
import type { WorldOptions } from "./world";

/** A whole run's settings (the command line's, checked: see `options.ts`). */
export interface GenerateOptions {
  world: WorldOptions;
  encoding: Encoding;
  /** Rows per file, for every table. */
  rowsPerFile: number;
  /** A local directory or `gs://bucket/prefix`. */
  out: string;
  /** Worker threads making files. */
  workers: number;
  /** GCS endpoint, project, chunking and retries. */
  upload?: UploadOptions;
  /** A thread pool to use instead of starting one (it is left running). */
  pool?: ThreadPool;
}

/** One file in the manifest. */
export interface ManifestFile {
  name: string;
  table: TableName;
  /** Number of the file's first row in its table. */
  firstRow: number;
  rows: number;
  bytes: number;
  sha256: string;
}

/** What `manifest.json` holds: the files written, and those that could not be. */
export interface Manifest {
  generator: "beam-ts-native/ingest/generator";
  options: WorldOptions & { rowsPerFile: number; format: Encoding["format"]; compression: Encoding["compression"] };
  schema: Record<TableName, { name: string; kind: string }[]>;
  files: ManifestFile[];
  /** Files that failed after every retry, each with the reason; not in `files`. */
  failed: { name: string; error: string }[];
  totals: Record<TableName, { files: number; rows: number; bytes: number }>;
  /** How this run went (not part of what the options determine). */
  run: { workers: number; seconds: number; out: string };
}

/** A planned file. */
interface PlannedFile {
  name: string;
  task: FileTask;
}

/** Name of the manifest file, beside the data files. */
export const MANIFEST_NAME = "manifest.json";

/** The module the threads run (`file_task.ts`). */
export const GENERATOR_TASK_MODULE = taskModule(__dirname, "file_task");

/**
 * The threads' young generation, in MB. A thread allocates few long-lived objects but many large
 * short-lived buffers (a batch's Arrow IPC, the Parquet chunks); with V8's default young generation
 * (up to 48 MB per thread) the process grew to 425–450 MB in a 5 GB run, with this one it stayed
 * at ~386 MiB (see the README).
 */
const YOUNG_GENERATION_MB = 6;

/** A pool of `threads` threads ready to make the generator's files; destroy it on every path. */
export function startGeneratorPool(threads: number): ThreadPool {
  return startThreadPool({ threads, modules: [GENERATOR_TASK_MODULE], resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
}

/** The files of a run, in the order they are made. */
export function planFiles(options: Pick<GenerateOptions, "world" | "encoding" | "rowsPerFile">): { name: string; task: FileTask }[] {
  const { world, encoding, rowsPerFile } = options;
  const tables: [TableName, number][] = [
    ["transactions", world.rows],
    ["customers", world.customers],
    ["devices", world.devices],
  ];
  return tables.flatMap((entry) => {
    const table = entry[0];
    const rows = entry[1];
    const count = Math.ceil(rows / rowsPerFile);
    const digits = Math.max(5, String(count - 1).length);
    return Array.from({ length: count }, (_, index): PlannedFile => {
      const first = index * rowsPerFile;
      return {
        name: `${table}-${String(index).padStart(digits, "0")}${fileExtension(encoding.format)}`,
        task: { world, table, first, rows: Math.min(rowsPerFile, rows - first), encoding },
      };
    });
  });
}

/** Rows of the sample that {@link rowsForSize} measures. */
const SIZE_SAMPLE_ROWS = 65_536;

/**
 * How many transactions make about `sizeBytes` of transaction files with these options: the bytes
 * per row of a sample file (the first rows, encoded as the run will), scaled. Deterministic, so the
 * same `--size` gives the same rows whatever `--workers`.
 */
export async function rowsForSize(options: Pick<GenerateOptions, "world" | "encoding" | "rowsPerFile">, sizeBytes: number, pool: ThreadPool): Promise<number> {
  const sampleRows = Math.min(SIZE_SAMPLE_ROWS, options.rowsPerFile);
  // The sample's timestamps are spread as if the run were its own size: a guess of ~50 bytes per row.
  const world = { ...options.world, rows: Math.max(sampleRows, Math.round(sizeBytes / 50)) };
  const sample = await pool.run<FileTask, EncodedFile>(GENERATOR_TASK_MODULE, "encodeFile", { world, table: "transactions", first: 0, rows: sampleRows, encoding: options.encoding });
  return Math.max(1, Math.round((sizeBytes * sampleRows) / sample.bytes));
}

/**
 * Runs the generator. Resolves with the manifest (also written as `manifest.json` beside the
 * files) once every file is stored or has failed; a failed file is named in `failed` and absent
 * under its final name. Rejects, after stopping the threads, when a thread fails.
 */
export async function generate(options: GenerateOptions, progress?: ProgressReporter): Promise<Manifest> {
  const startMs = Date.now();
  const destination = destinationOf(options.out, options.upload);
  const planned = planFiles(options);
  const pool = options.pool ?? startGeneratorPool(options.workers);
  const files: ManifestFile[] = [];
  const failed: Manifest["failed"] = [];
  const contentType = options.encoding.format === "parquet" ? "application/vnd.apache.parquet" : options.encoding.format === "csv" ? "text/csv" : "application/x-ndjson";
  const rowsTotal = planned.reduce((sum, file) => sum + file.task.rows, 0);
  let rowsDone = 0;
  let bytesWritten = 0;

  const store = async (file: PlannedFile, made: EncodedFile): Promise<void> => {
    try {
      await destination.put(file.name, made.chunks, contentType);
      files.push({ name: file.name, table: file.task.table, firstRow: file.task.first, rows: made.rows, bytes: made.bytes, sha256: made.sha256 });
      bytesWritten += made.bytes;
    } catch (error) {
      failed.push({ name: destination.uriOf(file.name), error: (error as Error).message });
    }
    rowsDone += made.rows;
    progress?.update({ rowsDone, rowsTotal, bytesWritten, filesWritten: files.length, filesTotal: planned.length });
  };

  let failure: { error: unknown } | undefined;
  try {
    // A window of `workers + 1` files: each is made by a thread, then stored in order of arrival.
    const window = options.workers + 1;
    const inFlight = new Set<Promise<void>>();
    let storing: Promise<void> = Promise.resolve();
    for (const file of planned) {
      while (inFlight.size >= window && failure === undefined) await Promise.race(inFlight);
      if (failure !== undefined) break;
      const done: Promise<void> = pool
        .run<FileTask, EncodedFile>(GENERATOR_TASK_MODULE, "encodeFile", file.task)
        .then(
          (made) => (storing = storing.then(() => store(file, made))),
          (error: unknown) => void (failure ??= { error }),
        )
        .finally(() => inFlight.delete(done));
      inFlight.add(done);
    }
    await Promise.all(inFlight);
    await storing;
  } finally {
    if (options.pool === undefined) await pool.destroy();
    progress?.end();
  }
  if (failure !== undefined) throw failure.error;

  files.sort((a, b) => (a.name < b.name ? -1 : 1));
  const manifest = manifestOf(options, files, failed, (Date.now() - startMs) / 1000);
  try {
    await destination.put(MANIFEST_NAME, [new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n")], "application/json");
  } catch (error) {
    // Without a manifest, the error itself must name the files that were not stored.
    const lost = manifest.failed.map((f) => f.name);
    throw new Error(`${(error as Error).message}${lost.length > 0 ? `; not stored either: ${lost.join(", ")}` : ""}`, { cause: error });
  }
  return manifest;
}

function manifestOf(options: GenerateOptions, files: ManifestFile[], failed: Manifest["failed"], seconds: number): Manifest {
  const tables: TableName[] = ["transactions", "customers", "devices"];
  const schema = Object.fromEntries(tables.map((table) => [table, TABLE_SPECS[table].map((spec) => ({ name: spec.name, kind: spec.kind }))])) as Manifest["schema"];
  const totals = Object.fromEntries(
    tables.map((table) => {
      const mine = files.filter((file) => file.table === table);
      return [table, { files: mine.length, rows: mine.reduce((s, f) => s + f.rows, 0), bytes: mine.reduce((s, f) => s + f.bytes, 0) }];
    }),
  ) as Manifest["totals"];
  return {
    generator: "beam-ts-native/ingest/generator",
    options: { ...options.world, rowsPerFile: options.rowsPerFile, format: options.encoding.format, compression: options.encoding.compression },
    schema,
    files,
    failed: [...failed].sort((a, b) => (a.name < b.name ? -1 : 1)),
    totals,
    run: { workers: options.workers, seconds, out: options.out.startsWith("gs://") ? options.out : path.resolve(options.out) },
  };
}
