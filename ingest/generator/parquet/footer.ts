/**
 * The file's footer: Thrift `FileMetaData` (the schema, every row group and its column chunks), its
 * length, and the closing magic `PAR1`.
 */
import { ByteSink } from "./byte_sink";
import { writeColumnChunkMetadata, type ColumnChunkMeta } from "./column_chunk";
import type { ColumnPlan } from "./column_plan";
import { CompactWriter } from "./thrift_compact";

/** The four bytes a Parquet file starts and ends with. */
export const MAGIC = new TextEncoder().encode("PAR1");

/** Written in the footer's `created_by`. */
export const CREATED_BY = "beam-ts-native ingest/generator";

/** A row group as the footer lists it. */
export interface RowGroupMeta {
  rows: number;
  /** Offset in the file of its first column chunk. */
  fileOffset: number;
  columns: ColumnChunkMeta[];
}

const Repetition = { REQUIRED: 0 } as const;

/** The footer of a file of `rows` rows in these row groups, then its length and the magic. */
export function footerBytes(plans: readonly ColumnPlan[], rows: number, rowGroups: readonly RowGroupMeta[]): Uint8Array {
  const sink = new ByteSink(4096);
  new CompactWriter(sink).structValue((file) => {
    file
      .i32(1, 1)
      .structList(2, [undefined, ...plans], (element, plan) => {
        if (plan === undefined) element.string(4, "schema").i32(5, plans.length);
        else writeSchemaElement(element, plan);
      })
      .i64(3, rows)
      .structList(4, rowGroups, (group, rowGroup) => {
        const uncompressed = rowGroup.columns.reduce((sum, column) => sum + column.uncompressed, 0);
        const compressed = rowGroup.columns.reduce((sum, column) => sum + column.compressed, 0);
        group
          .structList(1, rowGroup.columns, writeColumnChunkMetadata)
          .i64(2, uncompressed)
          .i64(3, rowGroup.rows)
          .i64(5, rowGroup.fileOffset)
          .i64(6, compressed);
      })
      .string(6, CREATED_BY);
  });
  const length = sink.length;
  sink.int32(length);
  sink.append(MAGIC);
  return sink.bytes().slice();
}

/** A leaf of the schema: a REQUIRED column of the plan's types. */
function writeSchemaElement(element: CompactWriter, plan: ColumnPlan): void {
  element.i32(1, plan.physicalType).i32(3, Repetition.REQUIRED).string(4, plan.name);
  if (plan.convertedType !== undefined) element.i32(6, plan.convertedType);
  if (plan.logicalType === "string") element.struct(10, (logical) => logical.struct(1, () => undefined));
  else if (plan.logicalType === "timestampMillisUtc")
    // TimestampType { isAdjustedToUTC: true, unit: TimeUnit { MILLIS } }.
    element.struct(10, (logical) => logical.struct(8, (timestamp) => timestamp.bool(1, true).struct(2, (unit) => unit.struct(1, () => undefined))));
}
