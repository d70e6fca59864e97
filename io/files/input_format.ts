/**
 * What an input file holds, told before a pipeline reads it: its format (from `--format`, or its
 * extension) and, for a local file of a text format, whether it is text at all. A binary file read as lines would
 * become hundreds of dead letters of raw bytes; an unknown extension silently read as JSON lines,
 * the same. Both are refused up front with a message naming the file and the fix.
 *
 * Formats live in one table: a new one is a row of {@link FORMAT_EXTENSIONS} and a reader in the
 * dispatch of pipelines/batch.ts (`READERS`). Parquet is binary by design: a local file declared
 * Parquet must begin and end with its magic bytes (`PAR1`), or it is refused before any read. A
 * command that reads only some formats (ingest: text) names only those in its messages.
 */
import * as fs from "fs";
import * as path from "path";
import { expandLocalPattern } from "./file_patterns";
import { isGcsUri } from "./gcs";

/** The formats inputs may have. */
export const INPUT_FORMATS = ["csv", "jsonl", "parquet"] as const;
/** One of {@link INPUT_FORMATS}. */
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** The extensions each format is recognised by. */
export const FORMAT_EXTENSIONS: Readonly<Record<InputFormat, readonly string[]>> = {
  csv: [".csv", ".csv.gz"],
  jsonl: [".jsonl", ".ndjson", ".json", ".jsonl.gz"],
  parquet: [".parquet"],
};

/** The formats read as lines of text; the others are binary. */
export const TEXT_FORMATS: readonly InputFormat[] = ["csv", "jsonl"];

/** A pattern resolved: the local files it names (a `gs://` pattern stays as given) and their format. */
export interface ResolvedInput {
  pattern: string;
  files: string[];
  format: InputFormat;
}

/** A user's input that cannot be read as asked; the message names the input and the fix. */
export class InputError extends Error {}

const SNIFF_BYTES = 64 * 1024;

/**
 * Resolves `pattern` (a local path or glob, or a `gs://` one): the files must exist, have a known
 * format, and be text when the format is, or Parquet when it is that, `declared` or by extension.
 * `accepts` are the formats the calling command reads (what messages offer). Throws
 * {@link InputError} otherwise.
 */
export function resolveInput(pattern: string, declared?: InputFormat, accepts: readonly InputFormat[] = INPUT_FORMATS): ResolvedInput {
  if (isGcsUri(pattern)) return { pattern, files: [pattern], format: declared ?? formatByExtension(pattern, accepts) };
  if (fs.existsSync(pattern) && fs.statSync(pattern).isDirectory()) {
    throw new InputError(`input '${pattern}' is a folder; name its files, e.g. --input='${path.join(pattern, "*.csv")}'`);
  }
  let files: string[];
  try {
    files = expandLocalPattern(pattern);
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  const formats = new Set(files.map((file) => declared ?? formatByExtension(file, accepts)));
  if (formats.size > 1) throw new InputError(`input '${pattern}' matches files of different formats (${[...formats].join(", ")}); give one --input per format`);
  const format = [...formats][0];
  // A `.gz` file is text only once decompressed: its lines are checked as they are read.
  if (TEXT_FORMATS.includes(format)) for (const file of files) if (!isGzipped(file)) checkText(file, accepts);
  if (format === "parquet") for (const file of files) checkParquet(file);
  return { pattern, files, format };
}

/**
 * The format of `file` by its extension; throws {@link InputError} for one not in
 * {@link FORMAT_EXTENSIONS}, offering the formats in `accepts` (what the calling command reads).
 */
export function formatByExtension(file: string, accepts: readonly InputFormat[] = INPUT_FORMATS): InputFormat {
  const name = file.toLowerCase();
  const extension = path.extname(name);
  const format = INPUT_FORMATS.find((f) => FORMAT_EXTENSIONS[f].some((suffix) => name.endsWith(suffix)));
  if (format !== undefined) return format;
  const known = accepts.map((f) => `${f} (${FORMAT_EXTENSIONS[f].join(", ")})`).join(", ");
  throw new InputError(
    `input '${file}': ${extension ? `'${extension}' is not` : "a file without an extension is not"} a format this command reads — ` +
      `it reads ${known}; if the file is one of them, say which with --format=${accepts.join("|")}`,
  );
}

/** The bytes every Parquet file begins and ends with. */
const PARQUET_MAGIC = Buffer.from("PAR1");

/** Refuses a local file declared Parquet that does not begin and end with `PAR1` (a reader would fail deep in the job: "Corrupt footer"). */
function checkParquet(file: string): void {
  const size = fs.statSync(file).size;
  const magicAt = (position: number) => {
    const bytes = Buffer.alloc(PARQUET_MAGIC.length);
    const fd = fs.openSync(file, "r");
    try {
      return fs.readSync(fd, bytes, 0, bytes.length, position) === bytes.length && bytes.equals(PARQUET_MAGIC);
    } finally {
      fs.closeSync(fd);
    }
  };
  if (size < 2 * PARQUET_MAGIC.length || !magicAt(0) || !magicAt(size - PARQUET_MAGIC.length)) {
    throw new InputError(`input '${file}' is not a Parquet file (it does not begin and end with the bytes 'PAR1'): name a Parquet file, or its format with --format=csv|jsonl`);
  }
}

function isGzipped(file: string): boolean {
  return file.toLowerCase().endsWith(".gz");
}

/**
 * Refuses a local file that is not text: gzip bytes not named `.gz` (said so, with the fix), or a
 * binary file — its first line, or most of the lines of its first 64 KiB, holding a NUL byte or bytes
 * that are not UTF-8. A text file with a few such lines is read: those lines are dead letters.
 */
function checkText(file: string, accepts: readonly InputFormat[]): void {
  const head = headOf(file);
  if (startsLikeGzip(head)) {
    throw new InputError(`input '${file}' is gzip-compressed: name it with a .gz suffix (e.g. '${path.basename(file)}.gz') to read it decompressed`);
  }
  const notText = (why: string) =>
    new InputError(`input '${file}' is not a text file (${why}): ${readsWhat(accepts)}`);
  // The head's last line may be cut by the 64 KiB boundary: only whole lines are judged (all of them in a small file).
  const whole = head.length < SNIFF_BYTES ? head : head.subarray(0, Math.max(head.lastIndexOf(NEWLINE), 0));
  const lines = splitLines(whole.length > 0 ? whole : head);
  const text = lines.map(isTextLine);
  if (text[0] === false || text.filter((ok) => !ok).length * 2 > lines.length) {
    const nul = head.indexOf(0);
    throw notText(nul !== -1 ? `a NUL byte at offset ${nul}` : "not UTF-8");
  }
}

/** What a command reading `accepts` reads, for a file that is none of it. */
function readsWhat(accepts: readonly InputFormat[]): string {
  const text = "CSV or JSON-lines text";
  return accepts.includes("parquet") ? `this command reads ${text}, or Parquet (.parquet, --format=parquet)` : `this command reads ${text} only`;
}

const NEWLINE = 0x0a;

/** Whether `bytes` begin as every gzip stream does (its two magic bytes). */
export function startsLikeGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    const newline = bytes.indexOf(NEWLINE, start);
    const end = newline === -1 ? bytes.length : newline;
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  return lines;
}

/** Whether one line is text: no NUL byte, UTF-8 (a character cut at the head's end is not held against it). */
function isTextLine(line: Buffer): boolean {
  if (line.indexOf(0) !== -1) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(line, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * About how many lines the local inputs hold, from their sizes and the length of their first lines
 * of text (for a progress bar); undefined when an input is on GCS.
 */
export function estimatedLines(files: readonly string[]): number | undefined {
  let lines = 0;
  for (const file of files) {
    if (isGcsUri(file)) return undefined;
    const size = fs.statSync(file).size;
    const head = headOf(file);
    let newlines = 0;
    for (let at = head.indexOf(10); at !== -1; at = head.indexOf(10, at + 1)) newlines++;
    lines += newlines === 0 ? (size > 0 ? 1 : 0) : Math.round((size * newlines) / head.length);
  }
  return lines;
}

/** The first 64 KiB of a local file (all of it if smaller). */
function headOf(file: string): Buffer {
  const fd = fs.openSync(file, "r");
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    return head.subarray(0, fs.readSync(fd, head, 0, SNIFF_BYTES, 0));
  } finally {
    fs.closeSync(fd);
  }
}
