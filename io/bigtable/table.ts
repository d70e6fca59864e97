/**
 * Which Bigtable table: project, instance and table, defaulting to seed 004's local setup (project
 * `local-project`, instance `e-commerce-data`, table `transacoes`).
 */
import { TRANSACTIONS_TABLE } from "../../transforms/bigtable_row";

/** A table; each part defaults to seed 004's. */
export interface BigtableTableOptions {
  /** Default `local-project`. */
  projectId?: string;
  /** Default `e-commerce-data`. */
  instanceId?: string;
  /** Default `transacoes`. */
  tableId?: string;
}

/** Seed 004's project on the emulator. */
export const DEFAULT_PROJECT_ID = "local-project";
/** Seed 004's instance. */
export const DEFAULT_INSTANCE_ID = "e-commerce-data";

/** `options` with the defaults filled in; a clear error for an empty name. */
export function resolveTable(options: BigtableTableOptions): Required<BigtableTableOptions> {
  const table = {
    projectId: options.projectId ?? DEFAULT_PROJECT_ID,
    instanceId: options.instanceId ?? DEFAULT_INSTANCE_ID,
    tableId: options.tableId ?? TRANSACTIONS_TABLE,
  };
  for (const [name, value] of Object.entries(table)) {
    if (typeof value !== "string" || value === "") throw new Error(`Bigtable ${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return table;
}
