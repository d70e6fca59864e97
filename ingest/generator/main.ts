/**
 * `npm run generate -- [flags]` (`--help` lists them): synthetic fraud-labelled transactions, with
 * their customers and devices, to a directory or to GCS. Exit 2 on a usage mistake, 1 when a file
 * could not be stored (each one named) or the run failed.
 */
import { runCommand } from "../../cli/command_line";
import { checkOutputFolder } from "../../cli/output_folder";
import { log } from "../../cli/log";
import { generate, rowsForSize, startGeneratorPool } from "./generate";
import { generatorHelp, parseGeneratorCommand } from "./options";
import { progressReporter } from "./progress";

async function main(): Promise<void> {
  const command = parseGeneratorCommand(process.argv.slice(2));
  if (command.help) {
    process.stdout.write(generatorHelp());
    return;
  }
  const { options, sizeBytes } = command;
  await checkOutputFolder(`--out ${options.out}`, options.out, "the files and manifest.json");
  const pool = startGeneratorPool(options.workers);
  try {
    if (sizeBytes !== undefined) options.world.rows = await rowsForSize(options, sizeBytes, pool);
    const manifest = await generate({ ...options, pool }, progressReporter(process.stderr));
    const t = manifest.totals;
    process.stdout.write(
      `wrote ${manifest.files.length} files to ${options.out}: ${t.transactions.rows} transactions (${(t.transactions.bytes / 1e6).toFixed(1)} MB), ` +
        `${t.customers.rows} customers, ${t.devices.rows} devices in ${manifest.run.seconds.toFixed(1)} s; manifest.json lists them with their SHA-256\n`,
    );
    if (manifest.failed.length > 0) {
      for (const f of manifest.failed) log().error({ step: "store", file: f.name }, `not stored: ${f.name}: ${f.error}`);
      throw new Error(`${manifest.failed.length} of ${manifest.failed.length + manifest.files.length} files could not be stored (listed above, and under "failed" in manifest.json)`);
    }
  } finally {
    await pool.destroy();
  }
}

runCommand(main, "generate");
