/**
 * The ingest publisher in a process of its own, for bench:e2e: a stream's publishers never run in
 * its consumer's process, and in it they took that process's one thread from the consumer.
 *
 *   node -r ./scripts/register.js bench/publisher_process.ts '<IngestOptions as JSON>'
 *
 * Loads, prints `ready`, waits for `go` on stdin (the consumer has a pull on the wire by then), then
 * publishes and prints one JSON line, `{ published, cpuSeconds }`: the messages sent and the CPU
 * seconds the publishing took (loading not counted). The emulators' addresses come from the environment, as for any client.
 */
import * as readline from "readline";
import { ingest, type IngestOptions } from "../ingest/publisher";

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2]) as IngestOptions;
  const lines = readline.createInterface({ input: process.stdin });
  process.stdout.write("ready\n");
  let go = false;
  for await (const line of lines) if ((go = line === "go")) break;
  lines.close();
  // Stdin closed without a word: the bench ended (or failed) before this run's stream began.
  if (!go) return;
  const before = process.cpuUsage();
  const counts = await ingest(options);
  const cpu = process.cpuUsage(before);
  process.stdout.write(JSON.stringify({ published: counts.published, cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + "\n");
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`publisher: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
