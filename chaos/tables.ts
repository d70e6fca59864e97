/**
 * The probes' eyes on the job's Bigtable tables: rows counted from keys only, on the emulator this
 * process points at — past any proxy the job goes through.
 */
import { bigtableClient } from "../io/bigtable/clients";
import { DEFAULT_PROJECT_ID } from "../io/bigtable/table";
import { ECOMMERCE_INSTANCE } from "../transforms/bigtable_row";

/** The project and instance the job (chaos/job.ts) writes: the pipeline's defaults. */
export const CHAOS_PROJECT = DEFAULT_PROJECT_ID;
export const CHAOS_INSTANCE = ECOMMERCE_INSTANCE;

/** Rows in `tableId` (0 while it does not exist, or past `timeoutMs`), from keys only: one stripped cell per row. */
export async function countRows(tableId: string, timeoutMs = 10_000): Promise<number> {
  const [rows] = await bigtableClient(CHAOS_PROJECT)
    .instance(CHAOS_INSTANCE)
    .table(tableId)
    .getRows({ decode: false, filter: [{ row: { cellLimit: 1 } }, { value: { strip: true } }], gaxOptions: { timeout: timeoutMs } })
    .catch(() => [[]]);
  return rows.length;
}
