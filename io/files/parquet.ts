/**
 * Reading Parquet files row by row: local paths, `gs://` URIs, or either with `*` / `?` in the last
 * segment, as for text files (`text_files.ts`). Each row becomes a {@link ParquetRow}: its values
 * by column name as plain JSON-safe values (64-bit integers as numbers, timestamps as epoch
 * milliseconds, strings and booleans as they are), with the file and 1-based row number, so a
 * parse step can cut records out of it and a dead letter say where it came from.
 *
 * A file is held in memory whole while it is read (Parquet's index is at its end: a reader needs
 * random access), and decoded a batch of rows at a time by `parquet-wasm`; rows are emitted as
 * decoded, with backpressure. Like the text reader, an operator of our own URN registered with the
 * SDK's worker, so the SDK's runners and Dataflow's TypeScript worker run it as well as ours.
 */
import * as fs from "fs";
import * as arrow from "apache-arrow";
import * as parquet from "parquet-wasm/node";
import * as beam from "apache-beam";
import * as operators from "apache-beam/worker/operators";
import { requireForSerialization } from "apache-beam/serialization";
import type { ParquetRow } from "../../transforms/parquet_row";
import { fileSource, FileSourceOperator } from "./file_source";
import { gcsError, gcsReadStream, isGcsUri, type GcsOptions } from "./gcs";

/** URN of the primitive that reads the Parquet files named in its payload, once per incoming impulse. */
export const READ_PARQUET_ROWS_URN = "beam-ts-native:transform:read_parquet_rows:v1";

/** Rows decoded at a time. */
const BATCH_ROWS = 8_192;

/** Settings of {@link readParquetRows}. */
export interface ReadParquetOptions {
  /** How to reach GCS for `gs://` inputs (default: the real service, ambient credentials). */
  gcs?: GcsOptions;
}

/**
 * Every row of the Parquet files the patterns name, file after file in the order given (a
 * pattern's matches in name order). Fails at construction, naming the pattern, when a local
 * pattern matches nothing; at run time when a `gs://` one does or a file is not Parquet.
 */
export function readParquetRows(patterns: string | readonly string[], options: ReadParquetOptions = {}): beam.PTransform<beam.Root, beam.PCollection<ParquetRow>> {
  return fileSource<ParquetRow>("readParquetRows", READ_PARQUET_ROWS_URN, patterns, options.gcs);
}

/** True for a file name that the batch ETL reads as Parquet. */
export function isParquetFile(name: string): boolean {
  return name.toLowerCase().endsWith(".parquet");
}

/** The whole content of a local file or a `gs://` object. */
async function fileBytes(file: string, gcs: GcsOptions): Promise<Uint8Array> {
  if (!isGcsUri(file)) {
    try {
      return await fs.promises.readFile(file);
    } catch (error) {
      throw new Error(`reading '${file}' failed: ${(error as Error).message}`, { cause: error });
    }
  }
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of gcsReadStream(file, gcs)) chunks.push(chunk as Buffer);
  } catch (error) {
    throw gcsError(file, "reading", error);
  }
  return Buffer.concat(chunks);
}

/** A decoded Arrow value as a JSON-safe one. */
function plainValue(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return value.getTime();
  return value as string | number | boolean;
}

/**
 * Calls `onRows` with the rows of one Parquet file, a decoded batch at a time, awaiting it when it
 * returns a promise (backpressure).
 */
export async function forEachParquetBatch(file: string, onRows: (rows: ParquetRow[]) => void | Promise<void>, gcs: GcsOptions = {}): Promise<void> {
  const bytes = await fileBytes(file, gcs);
  let batches: ReadableStream<parquet.RecordBatch>;
  try {
    batches = await (await parquet.ParquetFile.fromFile(new Blob([bytes]))).stream({ batchSize: BATCH_ROWS });
  } catch (error) {
    throw new Error(`reading '${file}' failed: not a Parquet file (${String(error)})`, { cause: error });
  }
  let rowNumber = 0;
  for await (const batch of batches as unknown as AsyncIterable<parquet.RecordBatch>) {
    const table = arrow.tableFromIPC(batch.intoIPCStream());
    const columns = table.schema.fields.map((field, i) => ({ name: field.name, vector: table.getChildAt(i)! }));
    const rows: ParquetRow[] = new Array(table.numRows);
    for (let k = 0; k < table.numRows; k++) {
      const values: ParquetRow["values"] = {};
      for (const column of columns) values[column.name] = plainValue(column.vector.get(k));
      rows[k] = { values, file, rowNumber: ++rowNumber };
    }
    const pending = onRows(rows);
    if (pending !== undefined) await pending;
  }
}

/** The reader as an SDK operator. */
export class ReadParquetRowsOperator extends FileSourceOperator<ParquetRow> {
  protected readFile(file: string, onRows: (rows: ParquetRow[]) => void | Promise<void>, gcs: GcsOptions): Promise<void> {
    return forEachParquetBatch(file, onRows, gcs);
  }
}

operators.registerOperator(READ_PARQUET_ROWS_URN, ReadParquetRowsOperator);
requireForSerialization("beam-ts-native/io/files/parquet", exports);
