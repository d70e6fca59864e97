/**
 * How each kind of generated column is stored: its Parquet physical and logical types, its encoding,
 * and whether its column chunks carry min/max statistics. The choices (ingest/generator/README.md,
 * "Where the CPU goes", for the figures):
 * - categories: a dictionary page of their labels (the spec's values, in code order) and the codes
 *   as RLE / bit-packed indices: the generator already has the codes, so nothing is hashed. The
 *   skewed ones (`currency`, `fraud_pattern`) too: their long runs of one code are run-length encoded.
 * - ids and other text: DELTA_BYTE_ARRAY (shared prefixes and equal lengths shrink before zstd).
 * - integers and times: DELTA_BINARY_PACKED, with statistics per column chunk (pruning row groups by
 *   time or amount).
 * - coordinates: PLAIN (zstd shrinks them little whatever the encoding); booleans: PLAIN, which is
 *   the generator's own bit layout.
 * Every column is REQUIRED: the generator makes no nulls.
 */
import type { ColumnKind, ColumnSpec } from "../columns";

/** Parquet's physical types (Thrift enum `Type`). */
export const PhysicalType = { BOOLEAN: 0, INT32: 1, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
/** Parquet's encodings (Thrift enum `Encoding`). */
export const Encoding = { PLAIN: 0, RLE: 3, DELTA_BINARY_PACKED: 5, DELTA_BYTE_ARRAY: 7, RLE_DICTIONARY: 8 } as const;
/** Parquet's converted types, for readers older than logical types (Thrift enum `ConvertedType`). */
export const ConvertedType = { UTF8: 0, TIMESTAMP_MILLIS: 9 } as const;

/** A column's logical type: text, or an instant in milliseconds (adjusted to UTC). */
export type LogicalType = "string" | "timestampMillisUtc";

/** How one column is stored. */
export interface ColumnPlan {
  name: string;
  kind: ColumnKind;
  physicalType: number;
  /** The data pages' encoding. */
  encoding: number;
  logicalType?: LogicalType;
  convertedType?: number;
  /** A category's labels, in code order: the column chunk's dictionary page. */
  dictionary?: readonly string[];
  /** Whether its column chunks carry min/max statistics. */
  statistics: boolean;
}

/** The plan of one column. */
export function planColumn(spec: ColumnSpec): ColumnPlan {
  const { name, kind } = spec;
  switch (kind) {
    case "category":
      return { name, kind, physicalType: PhysicalType.BYTE_ARRAY, encoding: Encoding.RLE_DICTIONARY, logicalType: "string", convertedType: ConvertedType.UTF8, dictionary: spec.values ?? [], statistics: false };
    case "text":
      return { name, kind, physicalType: PhysicalType.BYTE_ARRAY, encoding: Encoding.DELTA_BYTE_ARRAY, logicalType: "string", convertedType: ConvertedType.UTF8, statistics: false };
    case "int32":
      return { name, kind, physicalType: PhysicalType.INT32, encoding: Encoding.DELTA_BINARY_PACKED, statistics: true };
    case "int64":
      return { name, kind, physicalType: PhysicalType.INT64, encoding: Encoding.DELTA_BINARY_PACKED, statistics: true };
    case "timestampMs":
      return { name, kind, physicalType: PhysicalType.INT64, encoding: Encoding.DELTA_BINARY_PACKED, logicalType: "timestampMillisUtc", convertedType: ConvertedType.TIMESTAMP_MILLIS, statistics: true };
    case "float64":
      return { name, kind, physicalType: PhysicalType.DOUBLE, encoding: Encoding.PLAIN, statistics: false };
    case "bool":
      return { name, kind, physicalType: PhysicalType.BOOLEAN, encoding: Encoding.PLAIN, statistics: false };
  }
}
