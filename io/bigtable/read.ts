/**
 * Reading rows back, for checks and the `npm run rows` command: every cell (all versions), values
 * decoded as UTF-8 text (what this project writes).
 */
import type { Row } from "@google-cloud/bigtable";
import { bigtableClient } from "./clients";
import { codeName, statusOf } from "./status";
import { resolveTable, type BigtableTableOptions } from "./table";

/** What to read. */
export interface ReadRowsOptions extends BigtableTableOptions {
  /** Only rows whose key starts with this. */
  prefix?: string;
  /** At most this many rows (in key order). */
  limit?: number;
  /** Only these rows (those that exist). */
  keys?: string[];
  /** Only the newest N versions of each column. */
  versionsPerColumn?: number;
  /** Bound on the whole read (default 30 s). */
  timeoutMs?: number;
}

/** One cell version. */
export interface ReadCell {
  family: string;
  qualifier: string;
  value: string;
  timestampMicros: number;
}

/** A row: its key and cells, in Bigtable's order (family, qualifier, newest first). */
export interface ReadRow {
  key: string;
  cells: ReadCell[];
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The rows of a table, in key order. */
export async function readRows(options: ReadRowsOptions): Promise<ReadRow[]> {
  const { projectId, instanceId, tableId } = resolveTable(options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const table = bigtableClient(projectId).instance(instanceId).table(tableId);
  const rows: ReadRow[] = [];
  await new Promise<void>((resolve, reject) => {
    const stream = table.createReadStream({
      decode: false,
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(options.keys !== undefined ? { keys: options.keys } : {}),
      ...(options.versionsPerColumn !== undefined ? { filter: [{ column: { cellLimit: options.versionsPerColumn } }] } : {}),
      gaxOptions: { timeout: timeoutMs },
    });
    // The client retries transient failures on its own; this bounds the whole read, retries included.
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`reading ${table.name}: no complete answer within ${timeoutMs} ms (is the emulator running where BIGTABLE_EMULATOR_HOST says?)`));
    }, timeoutMs);
    stream.on("data", (row: Row) => rows.push(readRow(row)));
    stream.on("error", (error: unknown) => {
      clearTimeout(timer);
      const status = statusOf(error);
      reject(new Error(`reading ${table.name}: ${codeName(status.code)} ${status.message}`, { cause: error }));
    });
    stream.on("end", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return rows;
}

type CellData = { value: Buffer; timestamp: string | number };

function readRow(row: Row): ReadRow {
  const cells: ReadCell[] = [];
  const families = row.data as Record<string, Record<string, CellData[]>>;
  for (const [family, qualifiers] of Object.entries(families)) {
    for (const [qualifier, versions] of Object.entries(qualifiers)) {
      for (const version of versions) {
        cells.push({ family, qualifier, value: Buffer.from(version.value).toString("utf8"), timestampMicros: Number(version.timestamp) });
      }
    }
  }
  // With decode: false the key arrives as bytes.
  return { key: Buffer.isBuffer(row.id) ? row.id.toString("utf8") : String(row.id), cells };
}
