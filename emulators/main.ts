/**
 * `npm run emulators`: starts the Pub/Sub and Bigtable emulators in the foreground, prints the lines
 * that point another shell's clients at them, and stops them on Ctrl-C.
 */
import { startEmulators, type EmulatorName } from "./index";

const ALL: EmulatorName[] = ["pubsub", "bigtable"];

const HELP = `Usage: npm run emulators

Starts Google's Pub/Sub and Bigtable emulators on free loopback ports and keeps them running until
Ctrl-C. Prints the export lines to use them from another shell, and where their logs are.
A variable already set (PUBSUB_EMULATOR_HOST, BIGTABLE_EMULATOR_HOST) is reused: nothing is started for it.
`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(HELP);
    return;
  }
  if (args.length > 0) {
    process.stderr.write(`error: unexpected argument '${args[0]}': npm run emulators takes no flags (--help says what it does)\n`);
    process.exit(2);
  }
  process.stdout.write("starting the Pub/Sub and Bigtable emulators…\n");
  const emulators = await startEmulators(ALL);
  const exportLines = Object.entries(emulators.env).map(([name, value]) => `  export ${name}=${value}`);
  if (emulators.logFiles.length === 0) {
    // Both variables were set: nothing was started, so there is nothing to keep running.
    process.stdout.write(`both emulators are already running (reused, not started):\n\n${exportLines.join("\n")}\n`);
    return;
  }
  const stop = (signal: NodeJS.Signals) => {
    process.stdout.write(`\n${signal}: stopping the emulators…\n`);
    emulators.stop().then(
      () => {
        process.stdout.write("stopped.\n");
        process.exit(0);
      },
      (error: Error) => {
        process.stderr.write(`error: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const lines = [
    "emulators running. To use them from another shell:",
    "",
    ...exportLines,
    "",
    "logs:",
    ...emulators.logFiles.map((f) => `  ${f}`),
    "",
    "Ctrl-C stops them.",
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
