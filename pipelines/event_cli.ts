/**
 * `npm run event -- --event-id ID`: where a gateway event went — its Bigtable row, or its dead
 * letter and the reason (see event_whereabouts.ts). Exit 0 when found, 1 when the pipeline has no
 * trace of it, 2 for a usage mistake.
 */
import { parseFlags, runCommand, UsageError } from "../cli/command_line";
import { closeBigtableClients, DEFAULT_PROJECT_ID } from "../io/bigtable";
import { ECOMMERCE_INSTANCE } from "../transforms/bigtable_row";
import { checkedEventId } from "../ingest/gateway/event_id";
import { EVENTS_TABLE } from "../transforms/gateway_tables";
import { describeWhereabouts, whereabouts } from "./event_whereabouts";

const HELP = `Usage: npm run event -- --event-id ID [flags]

Says where an event sent through the gateway went: the row it became, or its dead letter and why.

  --event-id ID      the event_id the gateway replied with (a ULID)   (required)
  --events-table T   the pipeline's index of events                   (default: ${EVENTS_TABLE})
  --project ID       the project                                      (default: ${DEFAULT_PROJECT_ID})
  --instance ID      the Bigtable instance                            (default: ${ECOMMERCE_INSTANCE})
  --verbose          print the stack of a failure (so does DEBUG=1)
  --help             this text

Against the emulator, set BIGTABLE_EMULATOR_HOST (npm run emulators prints it).
`;

async function main(): Promise<void> {
  const values = parseFlags(process.argv.slice(2), {
    "event-id": { type: "string" },
    "events-table": { type: "string", default: EVENTS_TABLE },
    project: { type: "string", default: DEFAULT_PROJECT_ID },
    instance: { type: "string", default: ECOMMERCE_INSTANCE },
    help: { type: "boolean", default: false },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values["event-id"] === undefined) throw new UsageError("--event-id is required");
  const checked = checkedEventId(values["event-id"]);
  if ("error" in checked) throw new UsageError(`--event-id: ${checked.error}`);
  try {
    const found = await whereabouts(checked.ok, { projectId: values.project!, instanceId: values.instance!, eventsTable: values["events-table"] });
    process.stdout.write(describeWhereabouts(checked.ok, found));
    if (found.outcome === "unknown") process.exitCode = 1;
  } finally {
    await closeBigtableClients();
  }
}

runCommand(main, "npm run event");
