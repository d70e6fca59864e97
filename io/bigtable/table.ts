/**
 * Which Bigtable table: project, instance and table. The project defaults to the emulator's usual
 * `local-project`; instance and table are the caller's (the e-commerce ones live with the domain:
 * `transforms/bigtable_row.ts`).
 */

/** A table. */
export interface BigtableTableOptions {
  /** Default `local-project` (the emulator's). */
  projectId?: string;
  instanceId: string;
  tableId: string;
}

/** The emulator's usual project. */
export const DEFAULT_PROJECT_ID = "local-project";

/** `options` with the project filled in; a clear error for an empty name. */
export function resolveTable(options: BigtableTableOptions): Required<BigtableTableOptions> {
  const table = {
    projectId: options.projectId ?? DEFAULT_PROJECT_ID,
    instanceId: options.instanceId,
    tableId: options.tableId,
  };
  for (const [name, value] of Object.entries(table)) {
    if (typeof value !== "string" || value === "") throw new Error(`Bigtable ${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return table;
}
