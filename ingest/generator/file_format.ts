/**
 * The file formats and codecs the generator offers, apart from the encoders (`file_encoding.ts`)
 * so that the main thread, which only names files, never loads Arrow nor the WebAssembly writer.
 */

/** File formats the generator writes. */
export type FileFormat = "parquet" | "csv" | "jsonl";
/** Parquet compression codecs offered. */
export type Compression = "zstd" | "snappy" | "none";

/** How files are encoded. */
export interface Encoding {
  format: FileFormat;
  /** Parquet only; text formats are written uncompressed. */
  compression: Compression;
}

/** A file's name ending for an encoding. */
export function fileExtension(format: FileFormat): string {
  return format === "parquet" ? ".parquet" : format === "csv" ? ".csv" : ".jsonl";
}

/** Rows per Parquet row group. */
export const ROW_GROUP_ROWS = 32_768;
