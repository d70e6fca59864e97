/**
 * The work of one thread for one output file: generate its rows batch by batch, encode them, and
 * hand back the file's bytes with their checksum. Runs in a worker thread of `threads/pool.ts`;
 * it touches no file and no network, so credentials never reach a thread.
 */
import * as crypto from "crypto";
import { allocateColumns, type ColumnData } from "./columns";
import { BATCH_ROWS, fileEncoder } from "./file_encoding";
import type { Encoding } from "./file_format";
import { TABLE_SPECS, type TableName } from "./schema";
import { tableBatch } from "./table_batches";
import { makeWorld, type World, type WorldOptions } from "./world";
import { transferring } from "../../threads/transfer";

/** One file to make: rows `first` to `first + rows - 1` of `table`. */
export interface FileTask {
  world: WorldOptions;
  table: TableName;
  first: number;
  rows: number;
  encoding: Encoding;
}

/** A made file, still in memory: its bytes are the chunks end to end (one per Parquet row group). */
export interface EncodedFile {
  chunks: Uint8Array[];
  /** Total length of the chunks. */
  bytes: number;
  rows: number;
  /** Hex SHA-256 of the file's bytes, for the manifest. */
  sha256: string;
}

/** The world of the thread's last file: its remembered customers (`customer_memo.ts`) serve the next file of the run. */
let lastWorld: { key: string; world: World } | undefined;

function worldOf(options: WorldOptions): World {
  const key = JSON.stringify(options);
  if (lastWorld?.key !== key) lastWorld = { key, world: makeWorld(options) };
  return lastWorld.world;
}

/**
 * The thread's columns of each table, reused file after file (at most three sets, ~2.5 MB for the
 * transactions'). New columns for every file also cost the row loop: V8 deoptimized and compiled
 * it again at the start of each thread's second file (a field's type, tracked per object shape,
 * widened when its new typed arrays came), ~0.1 CPU-s per thread. A thread makes one file at a
 * time (the pool sends it the next task once this one is answered: `threads/task_main.ts`).
 */
const threadColumns = new Map<TableName, ColumnData[]>();

function columnsOf(table: TableName): ColumnData[] {
  let columns = threadColumns.get(table);
  if (columns === undefined) threadColumns.set(table, (columns = allocateColumns(TABLE_SPECS[table], BATCH_ROWS)));
  return columns;
}

/** Makes the file of `task` (the function threads run); its chunks are moved to the main thread, not copied. */
export async function encodeFile(task: FileTask): Promise<EncodedFile> {
  const world = worldOf(task.world);
  const encoder = fileEncoder(task.encoding, TABLE_SPECS[task.table]);
  const columns = columnsOf(task.table);
  for (let at = 0; at < task.rows; at += BATCH_ROWS) {
    await encoder.add(tableBatch(world, task.table, task.first + at, Math.min(BATCH_ROWS, task.rows - at), columns));
  }
  // Only a chunk that owns its whole buffer can be moved; any other is copied into one that does.
  const chunks = (await encoder.finish()).map((chunk) => (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice()));
  const hash = crypto.createHash("sha256");
  for (const chunk of chunks) hash.update(chunk);
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  return transferring({ chunks, bytes, rows: task.rows, sha256: hash.digest("hex") }, [...new Set(chunks.map((chunk) => chunk.buffer as ArrayBuffer))]);
}
