/**
 * `npm run chaos`: the standing chaos suite against Google's emulators (started here). Each probe
 * prints one JSON line; the process exits 1 if any failed. `npm run chaos -- poison` runs one;
 * `--help` lists them. An unknown probe or flag is a usage error (exit 2, one line).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandFailure, runCommand, UsageError } from "../cli/command_line";
import { startEmulators } from "../emulators";
import { closeBigtableClients } from "../io/bigtable";
import { poisonProbe } from "./poison";
import { badFilesProbe } from "./bad_files";
import { overloadProbe } from "./overload";
import { crashLoopProbe } from "./crash_loop";
import { outageProbe, type OutageProbeOptions } from "./outage";
import { writeStreamFiles } from "./stream_files";

/** Runs `probe` on stream files written to a folder of its own, removed after. */
async function withStreamFiles<T>(shape: { rows: number; bad: number; parts: number }, probe: (files: string[]) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chaos-stream-"));
  try {
    return await probe(await writeStreamFiles(dir, shape));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Bigtable or Pub/Sub cut off for 10 s, the job killed 5 s into the cut or not. */
const outage = (service: OutageProbeOptions["service"], kill: boolean) => () =>
  withStreamFiles({ rows: 10_000, bad: 20, parts: 2 }, (files) =>
    outageProbe({ service, inputs: files as [string, string], cutMs: 10_000, killAfterMs: kill ? 5_000 : undefined }),
  );

/** Every probe: what it does (for `--help`) and how it runs. */
const PROBES: Record<string, { about: string; run: () => Promise<{ pass: boolean }> }> = {
  "crash-loop": {
    about: "a live stream while the job is killed 20 times → rows exact, nothing unacknowledged",
    run: () => withStreamFiles({ rows: 40_000, bad: 32, parts: 1 }, (files) => crashLoopProbe({ inputs: files, rate: 400, kills: 20, killAfterMs: [500, 4_000] })),
  },
  "outage-bigtable": { about: "Bigtable cut off for 10 s mid-stream → caught up, rows exact", run: outage("bigtable", false) },
  "outage-bigtable-kill": { about: "the same, and the job killed 5 s into the cut", run: outage("bigtable", true) },
  "outage-pubsub": { about: "Pub/Sub cut off for 10 s mid-stream → caught up, rows exact", run: outage("pubsub", false) },
  "outage-pubsub-kill": { about: "the same, and the job killed 5 s into the cut", run: outage("pubsub", true) },
  "bad-files": { about: "the batch command on huge lines, NUL bytes, gzip, empty files → dead letters or one clear line", run: () => badFilesProbe() },
  poison: { about: "malformed and duplicate messages → every one counted, a dead letter with a reason", run: () => poisonProbe({ good: 4000, malformed: 1000, duplicates: 200 }) },
  overload: { about: "3 × the capacity measured first, for 3 minutes → backlog drained, memory bounded, rows exact", run: () => overloadProbe({ capacityMessages: 30_000, overloadFactor: 3, seconds: 180 }) },
};

function helpText(): string {
  const width = Math.max(...Object.keys(PROBES).map((name) => name.length));
  const probes = Object.entries(PROBES).map(([name, { about }]) => `  ${name.padEnd(width)}  ${about}`);
  return [
    "Usage: npm run chaos -- [PROBE …] [flags]",
    "",
    "Runs the named probes (all of them when none is named), each against Google's emulators started for it,",
    "printing one JSON line per probe (\"pass\": true|false); exits 1 if any failed.",
    "",
    "Probes:",
    ...probes,
    "",
    "Flags:",
    "  --verbose  print the stack of a failure (so does DEBUG=1)",
    "  --help     this text",
    "",
  ].join("\n");
}

/** The probes `argv` names (all when none); throws {@link UsageError} for an unknown probe or flag. */
function askedProbes(argv: readonly string[]): string[] {
  const flag = argv.find((arg) => arg.startsWith("-") && arg !== "--verbose");
  if (flag !== undefined) throw new UsageError(`Unknown option '${flag}' (--help lists the flags)`);
  const asked = argv.filter((arg) => arg !== "--verbose");
  const unknown = asked.filter((name) => !(name in PROBES));
  if (unknown.length > 0) throw new UsageError(`unknown probe ${unknown.join(", ")}; the probes are ${Object.keys(PROBES).join(", ")} (--help says what each does)`);
  return asked.length > 0 ? asked : Object.keys(PROBES);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help")) {
    process.stdout.write(helpText());
    return;
  }
  const asked = askedProbes(argv);
  let failed = 0;
  for (const name of asked) {
    const emulators = await startEmulators(["pubsub", "bigtable"]);
    const previous = { ...process.env };
    Object.assign(process.env, emulators.env);
    try {
      const result = await PROBES[name].run();
      if (!result.pass) failed++;
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } catch (error) {
      failed++;
      process.stdout.write(`${JSON.stringify({ probe: name, pass: false, error: (error as Error).message })}\n`);
    } finally {
      await closeBigtableClients();
      process.env = previous;
      await emulators.stop();
    }
  }
  if (failed > 0) throw new CommandFailure(`${failed} of ${asked.length} probes failed (their JSON lines above say how)`);
}

// Exits once done: a probe's clients may leave handles open that would keep the process alive.
runCommand(() => main().then(() => process.exit(0)), "chaos");
