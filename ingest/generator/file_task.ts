/**
 * The work of one thread for one output file: generate its rows batch by batch, encode them, and
 * hand back the file's bytes with their checksum. Runs in a worker thread (`threads/pool.ts`);
 * it touches no file and no network, so credentials never reach a thread.
 */
import * as crypto from "crypto";
import { allocateColumns } from "./columns";
import { BATCH_ROWS, fileEncoder } from "./file_encoding";
import type { Encoding } from "./file_format";
import { TABLE_SPECS, type TableName } from "./schema";
import { tableBatch } from "./table_batches";
import { makeWorld, type WorldOptions } from "./world";
import { transferring } from "../../threads/pool";

/** One file to make: rows `first` to `first + rows - 1` of `table`. */
export interface FileTask {
  world: WorldOptions;
  table: TableName;
  first: number;
  rows: number;
  encoding: Encoding;
}

/** A made file, still in memory. */
export interface EncodedFile {
  bytes: Uint8Array;
  rows: number;
  /** Hex SHA-256 of `bytes`, for the manifest. */
  sha256: string;
}

/** Makes the file of `task` (the function threads run); its bytes are moved to the main thread, not copied. */
export async function encodeFile(task: FileTask): Promise<EncodedFile> {
  const world = makeWorld(task.world);
  const encoder = fileEncoder(task.encoding, TABLE_SPECS[task.table]);
  const columns = allocateColumns(TABLE_SPECS[task.table], Math.min(BATCH_ROWS, task.rows));
  for (let at = 0; at < task.rows; at += BATCH_ROWS) {
    await encoder.add(tableBatch(world, task.table, task.first + at, Math.min(BATCH_ROWS, task.rows - at), columns));
  }
  const bytes = concatenate(await encoder.finish());
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  return transferring({ bytes, rows: task.rows, sha256 }, [bytes.buffer as ArrayBuffer]);
}

function concatenate(chunks: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
