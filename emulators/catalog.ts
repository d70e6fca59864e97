/**
 * What this project knows about each of Google's emulators: where the gcloud SDK installs it, how to
 * start it on a given port, how to tell it is ready, and which environment variable points the
 * official clients at it.
 */

/** An emulator this project can start. */
export type EmulatorName = "pubsub" | "bigtable";

/** How to find, start and probe one emulator. */
export interface EmulatorSpec {
  name: EmulatorName;
  /** How messages name it, e.g. "the Pub/Sub emulator". */
  title: string;
  /** The variable the official clients read to use it instead of the real service. */
  envVar: string;
  /** The executable, relative to the gcloud SDK root. */
  relativePath: string;
  /** The Debian package that installs it. */
  installCommand: string;
  /** Whether it runs on Java (the Pub/Sub emulator's launcher is a shell script that execs `java`). */
  needsJava: boolean;
  /** Command-line arguments to listen on host:port. */
  args(host: string, port: number): string[];
  /** Environment variables it starts with, each unless the user has set it already. */
  defaultEnv: Record<string, string>;
  /**
   * How readiness shows: the Pub/Sub emulator answers HTTP on its gRPC port once started; the Bigtable
   * emulator serves as soon as it listens, so a TCP connection is enough.
   */
  readiness: "http" | "tcp";
}

/** The emulators by name (a Map: our compiler mangles imported names used as computed keys). */
export const EMULATORS: ReadonlyMap<EmulatorName, EmulatorSpec> = new Map<EmulatorName, EmulatorSpec>([
  [
    "pubsub",
    {
      name: "pubsub",
      title: "the Pub/Sub emulator",
      envVar: "PUBSUB_EMULATOR_HOST",
      relativePath: "platform/pubsub-emulator/bin/cloud-pubsub-emulator",
      installCommand: "apt-get install google-cloud-cli-pubsub-emulator",
      needsJava: true,
      args: (host, port) => [`--host=${host}`, `--port=${port}`],
      // JVM options its launcher reads. The emulator shares a small machine with the job it serves:
      // the serial collector and the first-tier compiler only halved its CPU per message while it
      // warms up (the first 50 000 messages) and cut it by a quarter after. It keeps every message
      // ever published, acknowledged or not (~1.1 KB of heap each), so the default heap bound (a
      // quarter of RAM) turned a long overload run into back-to-back full collections; the heap only
      // grows as messages come, so a higher bound costs nothing until then (see emulators/README.md).
      defaultEnv: { CLOUD_PUBSUB_EMULATOR_OPTS: "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MaxRAMPercentage=60" },
      readiness: "http",
    },
  ],
  [
    "bigtable",
    {
      name: "bigtable",
      title: "the Bigtable emulator",
      envVar: "BIGTABLE_EMULATOR_HOST",
      relativePath: "platform/bigtable-emulator/cbtemulator",
      installCommand: "apt-get install google-cloud-cli-bigtable-emulator",
      needsJava: false,
      args: (host, port) => ["-host", host, "-port", String(port)],
      defaultEnv: {},
      readiness: "tcp",
    },
  ],
]);

/** The spec of `name`; a clear error for a name that is not an emulator (callers may be plain JS). */
export function emulatorSpec(name: string): EmulatorSpec {
  const spec = EMULATORS.get(name as EmulatorName);
  if (spec === undefined) {
    throw new Error(`unknown emulator '${name}': expected one of ${[...EMULATORS.keys()].join(", ")}`);
  }
  return spec;
}

/** Install command for the gcloud SDK itself (the emulators live under its root). */
export const GCLOUD_INSTALL_COMMAND = "apt-get install google-cloud-cli";
/** Install command for the Java runtime the Pub/Sub emulator needs (17 or newer). */
export const JAVA_INSTALL_COMMAND = "apt-get install openjdk-17-jre-headless";
