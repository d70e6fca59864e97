/**
 * `npm run pipeline -- [flags]`: runs this project's pipelines.
 *
 * What works today: the batch ETL over CSV / JSON-lines files on our direct runner. The streaming
 * pipeline (Pub/Sub → Bigtable against Google's emulators) and Dataflow submission are not built yet;
 * asking for them says so and exits 2.
 */
import * as path from "path";
import { parseArgs } from "util";
import { directRunner } from "../runners/direct";
import { runBatch } from "./batch";
import { formatBatchReport } from "./report";

const SAMPLE = ["fixtures/sample/transactions.csv", "fixtures/sample/transactions.jsonl"];

const HELP = `Usage: npm run pipeline -- [flags]

  --runner=direct        runner to use; only "direct" (this project's runner) exists yet  (default: direct)
  --pipeline=batch       which pipeline; only "batch" exists yet                        (default: batch)
  --input=FILE           an input file, .csv or JSON lines; repeat for several          (default: the committed sample)
  --bundle-size=N        elements per bundle on the direct runner                       (default: 1000)
  --help                 this text
`;

class UsageError extends Error {}

function options(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        runner: { type: "string", default: "direct" },
        pipeline: { type: "string", default: "batch" },
        input: { type: "string", multiple: true },
        "bundle-size": { type: "string", default: "1000" },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.runner !== "direct") throw new UsageError(`--runner=${parsed.runner}: only "direct" is available yet`);
  if (parsed.pipeline !== "batch") throw new UsageError(`--pipeline=${parsed.pipeline}: only "batch" is available yet (streaming is coming)`);
  const bundleSize = Number(parsed["bundle-size"]);
  if (!Number.isInteger(bundleSize) || bundleSize < 1) throw new UsageError(`--bundle-size must be a positive integer, got '${parsed["bundle-size"]}'`);
  const sample = SAMPLE.map((f) => path.relative(process.cwd(), path.join(__dirname, "..", f)));
  return { help: parsed.help, inputs: parsed.input ?? sample, bundleSize };
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(HELP);
    return;
  }
  const report = await runBatch(opts.inputs, directRunner({ bundleSize: opts.bundleSize }));
  process.stdout.write(formatBatchReport(report) + "\n");
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n\n${HELP}`);
    process.exit(2);
  }
  process.stderr.write(`pipeline failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
