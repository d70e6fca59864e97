/**
 * Where did event X go? Given a gateway `event_id`, the `eventos` index (transforms/gateway_tables.ts)
 * says whether the pipeline made it a row — and which — or a dead letter, and why; this reads that
 * entry and the row it points to.
 */
import { formatRowsLikeCbt, readRows, type ReadRow } from "../io/bigtable";
import { EVENTS_TABLE } from "../transforms/gateway_tables";

/** Where to look. */
export interface WhereaboutsOptions {
  projectId: string;
  instanceId: string;
  /** The index table (default `eventos`). */
  eventsTable?: string;
}

/** What became of an event. */
export type Whereabouts =
  | { outcome: "row"; type: string; table: string; rowKey: string; row?: ReadRow }
  | { outcome: "dead_letter"; step: string; field?: string; reason: string; deadLetters: string; deadLetterKey: string; row?: ReadRow }
  | { outcome: "unknown" };

/** The newest value of each qualifier of a row. */
function latest(row: ReadRow): Map<string, string> {
  const values = new Map<string, string>();
  // Cells come newest first within a qualifier: keep the first of each.
  for (const cell of row.cells) if (!values.has(cell.qualifier)) values.set(cell.qualifier, cell.value);
  return values;
}

async function exactRow(options: WhereaboutsOptions, tableId: string, key: string): Promise<ReadRow | undefined> {
  const [row] = await readRows({ projectId: options.projectId, instanceId: options.instanceId, tableId, prefix: key, limit: 1 });
  return row?.key === key ? row : undefined;
}

/** What became of event `eventId` (canonical ULID), with the row it became when it is in Bigtable. */
export async function whereabouts(eventId: string, options: WhereaboutsOptions): Promise<Whereabouts> {
  const entry = await exactRow(options, options.eventsTable ?? EVENTS_TABLE, eventId);
  if (entry === undefined) return { outcome: "unknown" };
  const v = latest(entry);
  if (v.get("outcome") === "dead_letter") {
    const deadLetters = v.get("dead_letters") ?? "";
    const deadLetterKey = v.get("dead_letter_key") ?? "";
    const row = deadLetters.startsWith("bigtable:") ? await exactRow(options, deadLetters.slice("bigtable:".length), deadLetterKey) : undefined;
    return { outcome: "dead_letter", step: v.get("step") ?? "", field: v.get("field"), reason: v.get("reason") ?? "", deadLetters, deadLetterKey, row };
  }
  const table = v.get("table") ?? "";
  const rowKey = v.get("row_key") ?? "";
  return { outcome: "row", type: v.get("type") ?? "", table, rowKey, row: await exactRow(options, table, rowKey) };
}

/** The answer in words, and the row as `cbt read` prints it. */
export function describeWhereabouts(eventId: string, w: Whereabouts): string {
  switch (w.outcome) {
    case "row":
      return `event ${eventId}: a ${w.type}, written to Bigtable table ${w.table}, row ${w.rowKey}\n${w.row ? formatRowsLikeCbt([w.row]) : "(that row is not there any more)\n"}`;
    case "dead_letter":
      return (
        `event ${eventId}: refused by step ${w.step}${w.field ? `, field ${w.field}` : ""}: ${w.reason}\n` +
        `its dead letter: ${w.deadLetters} (key ${w.deadLetterKey})\n${w.row ? formatRowsLikeCbt([w.row]) : ""}`
      );
    case "unknown":
      return (
        `event ${eventId}: the pipeline has no trace of it. Either the gateway refused it (its reply said why, and nothing was published), ` +
        `or it is still on its Pub/Sub topic waiting for the pipeline, or it never came through the gateway.\n`
      );
  }
}
