/** A row of a Parquet file as the parse transforms receive it (`io/files/parquet.ts` reads them). */

/** One row: its values by column name, and where it was read. */
export interface ParquetRow {
  /** Column name → value: string, number (64-bit integers too; timestamps as epoch milliseconds), boolean, or null. */
  values: Record<string, string | number | boolean | null>;
  /** The file it was read from (a path or a `gs://` URI). */
  file: string;
  /** 1-based position of the row in its file. */
  rowNumber: number;
}
