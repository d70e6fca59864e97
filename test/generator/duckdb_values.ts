/** How DuckDB sees the generator's columns: their SQL types, and its values as the generator's. */
import type { ColumnKind } from "../../ingest/generator/columns";

/** The DuckDB type each kind of column reads back as. */
export const DUCKDB_TYPES: Readonly<Record<ColumnKind, string>> & Readonly<Record<string, string | undefined>> = {
  text: "VARCHAR",
  category: "VARCHAR",
  int32: "INTEGER",
  int64: "BIGINT",
  float64: "DOUBLE",
  timestampMs: "TIMESTAMP WITH TIME ZONE",
  bool: "BOOLEAN",
};

/** DuckDB's BIGINTs as numbers, timestamps as epoch milliseconds (as `valueAt` gives them). */
export function plain(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return value.getTime();
  return value;
}
