/**
 * DuckDB in this process (`@duckdb/node-api`), as an independent reader of the files the project
 * writes: its own Parquet reader, its own SQL. Tests compute expected values with it rather than
 * with the code under test.
 */
import { DuckDBInstance } from "@duckdb/node-api";

/** A DuckDB connection: `rows` runs a query and gives its rows as plain JavaScript objects. */
export interface DuckDb {
  rows(sql: string): Promise<Record<string, unknown>[]>;
  close(): void;
}

/** An in-memory database; close it when done. */
export async function openDuckDb(): Promise<DuckDb> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  return {
    rows: async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[],
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** A path or glob as a SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
