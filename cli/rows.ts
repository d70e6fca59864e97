/**
 * `npm run rows -- [flags]`: prints a table's rows from the Bigtable emulator in `cbt read`'s layout,
 * to check what a pipeline wrote without installing or configuring cbt.
 */
import { parseFlags, runCommand, UsageError } from "./command_line";
import { log } from "./log";
import { acceptsConnections } from "../emulators/health";
import { ECOMMERCE_INSTANCE, TRANSACTIONS_TABLE } from "../transforms/bigtable_row";
import { closeBigtableClients, DEFAULT_PROJECT_ID, formatRowsLikeCbt, readRows } from "../io/bigtable";

/** gRPC's status for a table (or instance) the emulator does not have. */
const NOT_FOUND = 5;

/** Where `gcloud beta emulators bigtable start` listens unless told otherwise. */
const GCLOUD_DEFAULT_EMULATOR = "localhost:8086";

const HELP = `Usage: npm run rows -- [flags]

Prints rows of a Bigtable table from the emulator (BIGTABLE_EMULATOR_HOST), as \`cbt read\` does.

  --table=NAME       the table                              (default: ${TRANSACTIONS_TABLE})
  --limit=N          at most N rows, in key order           (default: all)
  --prefix=TEXT      only rows whose key starts with TEXT   (default: none)
  --project=ID       the project                            (default: ${DEFAULT_PROJECT_ID})
  --instance=ID      the instance                           (default: ${ECOMMERCE_INSTANCE})
  --verbose          print the stack of a failure (so does DEBUG=1)
  --help             this text

Start the emulators with \`npm run emulators\` and export the BIGTABLE_EMULATOR_HOST line it prints.
`;

function options(argv: string[]) {
  const parsed = parseFlags(argv, {
        table: { type: "string", default: TRANSACTIONS_TABLE },
        limit: { type: "string" },
        prefix: { type: "string" },
        project: { type: "string", default: DEFAULT_PROJECT_ID },
        instance: { type: "string", default: ECOMMERCE_INSTANCE },
        help: { type: "boolean", default: false },
  });
  const limit = parsed.limit === undefined ? undefined : Number(parsed.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError(`--limit must be a positive integer, got '${parsed.limit}'`);
  for (const name of ["table", "project", "instance"] as const) {
    if (parsed[name] === "") throw new UsageError(`--${name} must not be empty`);
  }
  return { help: parsed.help, tableId: parsed.table, projectId: parsed.project, instanceId: parsed.instance, limit, prefix: parsed.prefix };
}

/**
 * The emulator to read from: BIGTABLE_EMULATOR_HOST, or gcloud's default port if an emulator answers
 * there. Without either, this command would go to the real Cloud Bigtable, which is not what it is for.
 */
async function emulatorEndpoint(): Promise<string> {
  const configured = process.env.BIGTABLE_EMULATOR_HOST;
  if (configured) return configured;
  if (await acceptsConnections("localhost", 8086)) {
    log().warn(`BIGTABLE_EMULATOR_HOST is not set; using the emulator answering on ${GCLOUD_DEFAULT_EMULATOR}`);
    return GCLOUD_DEFAULT_EMULATOR;
  }
  throw new UsageError(
    `BIGTABLE_EMULATOR_HOST is not set, and no Bigtable emulator answers on ${GCLOUD_DEFAULT_EMULATOR} (gcloud's default): ` +
      `start one with \`npm run emulators\` in another shell, run the \`export BIGTABLE_EMULATOR_HOST=…\` line it prints here, and try again`,
  );
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(HELP);
    return;
  }
  process.env.BIGTABLE_EMULATOR_HOST = await emulatorEndpoint();
  try {
    const rows = await readRows({ projectId: opts.projectId, instanceId: opts.instanceId, tableId: opts.tableId, prefix: opts.prefix, limit: opts.limit }).catch((error: unknown) => {
      // A table not there yet is the usual first mistake: the emulator keeps nothing between runs.
      if (((error as Error).cause as { code?: number } | undefined)?.code !== NOT_FOUND) throw error;
      throw new UsageError(
        `table '${opts.tableId}' does not exist in instance ${opts.instanceId} of project ${opts.projectId} (the Bigtable emulator at ${process.env.BIGTABLE_EMULATOR_HOST}): ` +
          "a pipeline run against this emulator creates it (npm run pipeline), or name another with --table",
      );
    });
    process.stdout.write(formatRowsLikeCbt(rows));
  } finally {
    await closeBigtableClients();
  }
}

runCommand(main, "npm run rows");
