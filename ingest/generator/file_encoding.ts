/**
 * Column batches as file bytes: Parquet + zstd or uncompressed through our own writer (`parquet/`,
 * straight from the generator's typed arrays), Parquet + snappy through `parquet-wasm`
 * (`parquet_wasm_encoding.ts`, loaded only by a thread that writes snappy: its WebAssembly and
 * apache-arrow are ~25 MiB of a thread's memory once loaded), CSV or JSON lines. A file is encoded
 * batch by batch, so a worker holds one batch of rows (and a Parquet row group) and the compressed
 * bytes so far, never a whole file of rows.
 */
import { valueAt, type ColumnBatch, type ColumnData, type ColumnSpec } from "./columns";
import { ROW_GROUP_ROWS, type Encoding } from "./file_format";
import { ParquetFileWriter } from "./parquet/file_writer";

/** An encoder of one file: takes its batches in order, then gives the file's bytes. */
export interface FileEncoder {
  add(batch: ColumnBatch): Promise<void>;
  finish(): Promise<Uint8Array[]>;
}

/** A new encoder for one file of the given columns. */
export function fileEncoder(encoding: Encoding, specs: readonly ColumnSpec[]): FileEncoder {
  if (encoding.format === "parquet") {
    if (encoding.compression !== "snappy") return ownParquetEncoder(encoding.compression, specs);
    const { parquetWasmEncoder } = require("./parquet_wasm_encoding") as typeof import("./parquet_wasm_encoding");
    return parquetWasmEncoder(specs);
  }
  const lines: Uint8Array[] = [];
  const utf8 = new TextEncoder();
  if (encoding.format === "csv") lines.push(utf8.encode(specs.map((spec) => spec.name).join(",") + "\n"));
  return {
    add: async (batch) => void lines.push(utf8.encode(encoding.format === "csv" ? csvText(batch) : jsonLinesText(batch))),
    finish: async () => lines,
  };
}

/** Rows generated and handed to the encoder at a time: what a thread holds of rows. */
export const BATCH_ROWS = 16_384;

/**
 * A Parquet encoder of our own (`parquet/`), for zstd and uncompressed files: it encodes the
 * generator's typed arrays directly (category codes as dictionary indices, nothing hashed), where
 * `parquet-wasm` spent ~60 % of a thread (ingest/generator/README.md, "Where the CPU goes").
 */
function ownParquetEncoder(compression: "zstd" | "none", specs: readonly ColumnSpec[]): FileEncoder {
  const writer = new ParquetFileWriter(specs, compression, ROW_GROUP_ROWS);
  return {
    add: (batch) => writer.add(batch),
    finish: () => writer.finish(),
  };
}

/** Row `k` of a column as text: times as ISO 8601 UTC, everything else as its value. */
function textValue(column: ColumnData, k: number): string {
  const value = valueAt(column, k);
  return column.kind === "timestampMs" ? new Date(value as number).toISOString() : String(value);
}

/** The batch as CSV records (no header; no generated value needs quoting). */
function csvText(batch: ColumnBatch): string {
  let text = "";
  for (let k = 0; k < batch.rows; k++) text += batch.columns.map((column) => textValue(column, k)).join(",") + "\n";
  return text;
}

/** The batch as JSON lines: numbers and booleans as JSON ones, the rest as strings. */
function jsonLinesText(batch: ColumnBatch): string {
  let text = "";
  for (let k = 0; k < batch.rows; k++) {
    const row: Record<string, unknown> = {};
    batch.columns.forEach((column, c) => {
      row[batch.specs[c].name] = column.kind === "timestampMs" ? textValue(column, k) : valueAt(column, k);
    });
    text += JSON.stringify(row) + "\n";
  }
  return text;
}
