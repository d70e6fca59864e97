/**
 * The command line of `npm run generate`, in one typed place: one table drives the parser and
 * `--help`. Every mistake is a {@link UsageError} naming the flag and the reason.
 */
import * as os from "os";
import { parseFlags, UsageError } from "../../cli/command_line";
import type { Compression, FileFormat } from "./file_format";
import type { GenerateOptions } from "./generate";
import { TRANSACTION_NUMBERS } from "./table_batches";
import { MAX_FRAUD_PROBABILITY } from "./world";

interface Flag {
  name: string;
  value: string;
  help: string;
  default?: string;
}

const FLAGS: Flag[] = [
  { name: "rows", value: "N", help: "transactions to generate", default: "1000000" },
  { name: "size", value: "SIZE", help: "instead of --rows: about this many bytes of transaction files (e.g. 500MB, 1GB, 2GiB)" },
  { name: "out", value: "DIR|gs://bucket/prefix", help: "where the files and manifest.json go", default: "tmp/fraud" },
  { name: "workers", value: "N", help: "worker threads making files", default: "one per core" },
  { name: "seed", value: "S", help: "same seed and options, same bytes (0 to 4294967295)", default: "3" },
  { name: "customers", value: "N", help: "customers (at least 2)", default: "100000" },
  { name: "devices", value: "N", help: "devices, at least one per customer", default: "150000" },
  { name: "start", value: "YYYY-MM-DD", help: "first day of transactions (UTC)", default: "2024-01-01" },
  { name: "end", value: "YYYY-MM-DD", help: "last day of transactions (UTC, inclusive)", default: "2024-12-31" },
  { name: "fraud-prob", value: "P", help: `share of fraudulent transactions, 0 to ${MAX_FRAUD_PROBABILITY}`, default: "0.02" },
  { name: "rows-per-file", value: "N", help: "rows per file (every table)", default: "268000" },
  { name: "format", value: "parquet|csv|jsonl", help: "file format", default: "parquet" },
  { name: "compression", value: "zstd|snappy|none", help: "Parquet codec (text formats are uncompressed)", default: "zstd for parquet" },
  { name: "gcs-endpoint", value: "URL", help: "another GCS endpoint (a local test server); no credentials are sent to it" },
  { name: "project", value: "ID", help: "Google Cloud project of the bucket, when the credentials do not say" },
];

/** The parsed command line: the run's options, or a request for help. `size` replaces `world.rows` once measured. */
export type GeneratorCommand = { help: true } | { help: false; options: Omit<GenerateOptions, "pool">; sizeBytes?: number };

/** `--help`'s text. */
export function generatorHelp(): string {
  const rows = FLAGS.map((f) => `  ${`--${f.name} ${f.value}`.padEnd(34)} ${f.help}${f.default === undefined ? "" : ` (default: ${f.default})`}`);
  return `Usage: npm run generate -- [flags]

Synthetic fraud-labelled transactions (with their customers and devices) as Parquet + zstd, CSV or
JSON lines, made on worker threads, written to a directory or uploaded to GCS, with manifest.json.

${rows.join("\n")}
  --verbose                          print the stack of a failure (so does DEBUG=1)
  --help                             this text
`;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** Parses `argv`; throws UsageError naming the flag and the reason. */
export function parseGeneratorCommand(argv: string[]): GeneratorCommand {
  const flags = Object.fromEntries([...FLAGS.map((f) => [f.name, { type: "string" as const }]), ["help", { type: "boolean" as const }]]);
  const values = parseFlags(argv, flags) as Record<string, string | boolean | undefined>;
  if (values.help === true) return { help: true };
  const text = (name: string) => values[name] as string | undefined;
  if (text("rows") !== undefined && text("size") !== undefined) throw new UsageError("give --rows or --size, not both");
  const format = oneOf("format", text("format") ?? "parquet", ["parquet", "csv", "jsonl"]) as FileFormat;
  const compression = oneOf("compression", text("compression") ?? (format === "parquet" ? "zstd" : "none"), ["zstd", "snappy", "none"]) as Compression;
  if (format !== "parquet" && compression !== "none") throw new UsageError(`--compression ${compression}: only Parquet files are compressed; ${format} is written as plain text`);
  const customers = integer("customers", text("customers") ?? "100000", 2, 1e9);
  const devices = integer("devices", text("devices") ?? "150000", customers, 1e9, "--customers");
  const startMs = day("start", text("start") ?? "2024-01-01");
  const endMs = day("end", text("end") ?? "2024-12-31") + 86_400_000;
  if (endMs <= startMs) throw new UsageError(`--start ${text("start")} is after --end ${text("end")}`);
  const fraudProbability = Number(text("fraud-prob") ?? "0.02");
  if (!(fraudProbability >= 0 && fraudProbability <= MAX_FRAUD_PROBABILITY)) {
    throw new UsageError(`--fraud-prob must be a number from 0 to ${MAX_FRAUD_PROBABILITY}, got '${text("fraud-prob")}'`);
  }
  const sizeBytes = text("size") === undefined ? undefined : size(text("size")!);
  return {
    help: false,
    sizeBytes,
    options: {
      world: {
        seed: integer("seed", text("seed") ?? "3", 0, 2 ** 32 - 1),
        rows: integer("rows", text("rows") ?? "1000000", 1, TRANSACTION_NUMBERS),
        customers,
        devices,
        startMs,
        endMs,
        fraudProbability,
      },
      encoding: { format, compression },
      rowsPerFile: integer("rows-per-file", text("rows-per-file") ?? "268000", 1, 1e9),
      out: text("out") ?? "tmp/fraud",
      workers: integer("workers", text("workers") ?? String(os.availableParallelism()), 1, 256),
      upload: { apiEndpoint: text("gcs-endpoint"), projectId: text("project") },
    },
  };
}

function oneOf(flag: string, value: string, allowed: string[]): string {
  if (!allowed.includes(value)) throw new UsageError(`--${flag} ${value}: expected ${allowed.join(", ")}`);
  return value;
}

function integer(flag: string, value: string, min: number, max: number, minName?: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    const from = minName === undefined ? `${min}` : `${minName} (${min})`;
    throw new UsageError(`--${flag} must be a whole number from ${from} to ${max}, got '${value}'`);
  }
  return n;
}

function day(flag: string, value: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  if (!match || new Date(ms).toISOString().slice(0, 10) !== value) throw new UsageError(`--${flag} must be a calendar day YYYY-MM-DD, got '${value}'`);
  return ms;
}

function size(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value);
  const unit = SIZE_UNITS[(match?.[2] || "b").toLowerCase()];
  const bytes = match && unit ? Number(match[1]) * unit : NaN;
  if (!(bytes >= 1)) throw new UsageError(`--size must be a size such as 500MB, 1GB or 2GiB, got '${value}'`);
  return Math.round(bytes);
}
