/**
 * Creating the table a sink writes to, and its column families, when asked: for local runs against an
 * empty emulator. Tolerates ALREADY_EXISTS (another worker, or an earlier run, got there first).
 */
import type { Bigtable } from "@google-cloud/bigtable";
import { ALREADY_EXISTS, codeName, statusOf } from "./status";

/** Makes sure table `tableId` of `instanceId` exists with at least `families`. */
export async function ensureTable(client: Bigtable, instanceId: string, tableId: string, families: readonly string[]): Promise<void> {
  const table = client.instance(instanceId).table(tableId);
  try {
    await table.create({ families: [...families] });
    return;
  } catch (error) {
    if (statusOf(error).code !== ALREADY_EXISTS) throw adminError(`create table ${table.name}`, error);
  }
  const [metadata] = await table.getMetadata({ view: "schema" }).catch((error: unknown) => {
    throw adminError(`read the column families of ${table.name}`, error);
  });
  const existing = new Set(Object.keys(metadata.columnFamilies ?? {}));
  for (const family of families.filter((f) => !existing.has(f))) {
    try {
      await table.createFamily(family);
    } catch (error) {
      if (statusOf(error).code !== ALREADY_EXISTS) throw adminError(`create column family ${family} in ${table.name}`, error);
    }
  }
}

function adminError(what: string, error: unknown): Error {
  const status = statusOf(error);
  return new Error(`could not ${what}: ${codeName(status.code)} ${status.message}`, { cause: error });
}
