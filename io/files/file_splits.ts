/**
 * Splitting text files so several workers read one file at once. A split is a byte range
 * [start, end) of one file plus the line number of its first line; a record (line) belongs to the
 * split its first byte is in. Splits of a local file start where records start: planning scans the
 * file once for newlines (a native byte search, far cheaper than parsing), so each split knows its
 * first line number exactly and dead letters still say `file:line`; a `gs://` object is scanned the
 * same way as it streams, and its splits are read as byte ranges (HTTP Range). A compressed file
 * cannot be entered mid-stream, so it is one split; a pattern is split per file and then within files.
 */
import * as fs from "fs";
import { requireForSerialization } from "apache-beam/serialization";
import { gcsError, gcsObjectSize, gcsReadStream, isGcsUri, withGcsContext, type GcsOptions } from "./gcs";
import { localChunks } from "./local_chunks";

/** A byte range of one file: the records whose first byte is in [start, end). */
export interface FileSplit {
  file: string;
  start: number;
  /** Exclusive; Infinity for "to the end" (a file not scanned). */
  end: number;
  /** 1-based number of the split's first line in its file. */
  firstLine: number;
}

/**
 * Bytes per split of a local file: a file is cut into about {@link SPLITS_PER_FILE} splits, so that
 * even a small one spreads evenly over every worker (a 12 MB file in 4 MB splits kept one of two
 * threads idle a third of the time), each between 256 KiB (a split's fixed cost stays small) and 4 MiB.
 */
export function splitBytesFor(size: number): number {
  return Math.min(MAX_SPLIT_BYTES, Math.max(MIN_SPLIT_BYTES, Math.ceil(size / SPLITS_PER_FILE)));
}

const SPLITS_PER_FILE = 64;
const MIN_SPLIT_BYTES = 256 << 10;
const MAX_SPLIT_BYTES = 4 << 20;

const NEWLINE = 0x0a;
const COMPRESSED = /\.(gz|bz2|zst|zip|xz|deflate|snappy)$/i;

/**
 * The bytes of the local `files` that {@link localFileSplits} cuts into several splits — those
 * workers can share (a compressed file is one split; a `gs://` object's size is not known yet).
 */
export function splittableLocalBytes(files: readonly string[]): number {
  let bytes = 0;
  for (const file of files) if (!isGcsUri(file) && !COMPRESSED.test(file)) bytes += fs.statSync(file).size;
  return bytes;
}

/** The whole of `file` as one split. */
export function wholeFile(file: string): FileSplit {
  return { file, start: 0, end: Infinity, firstLine: 1 };
}

/**
 * The splits of a local file, each about `splitBytes` long (by default {@link splitBytesFor} its
 * size) and starting where a record starts; a compressed or empty file is one split.
 */
export async function localFileSplits(file: string, splitBytes?: number): Promise<FileSplit[]> {
  if (COMPRESSED.test(file)) return [wholeFile(file)];
  const { size } = await fs.promises.stat(file);
  // Read into two reused buffers, the next read (on libuv's pool) overlapping this chunk's scan: a
  // read stream's fresh buffer per chunk made the scan of a 125 MB file 60–120 ms of this thread's CPU.
  return splitsOf(file, size, () => localChunks(file, 0, Infinity), splitBytes ?? splitBytesFor(size));
}

/**
 * The splits of a `gs://` object, as {@link localFileSplits} cuts a local file: its size from its
 * metadata, its record starts from one streamed read (the splits are then read as byte ranges, each
 * by the worker it is given to). A compressed object is one split.
 */
export async function gcsObjectSplits(uri: string, gcs: GcsOptions = {}, splitBytes?: number): Promise<FileSplit[]> {
  if (COMPRESSED.test(uri)) return [wholeFile(uri)];
  const size = await withGcsContext(uri, "reading", () => gcsObjectSize(uri, gcs));
  try {
    return await splitsOf(uri, size, () => gcsReadStream(uri, gcs), splitBytes ?? splitBytesFor(size));
  } catch (error) {
    throw gcsError(uri, "reading", error);
  }
}

/**
 * The splits of `file` (`size` bytes, its chunks streamed by `open` when it is larger than one
 * split): a new split at the first record start past each `splitBytes`.
 */
async function splitsOf(file: string, size: number, open: () => AsyncIterable<Buffer>, splitBytes: number): Promise<FileSplit[]> {
  if (size <= splitBytes) return [{ file, start: 0, end: size, firstLine: 1 }];
  const splits: FileSplit[] = [];
  let start = 0;
  let firstLine = 1;
  let line = 1;
  // The next split starts at the first record starting at or after this offset.
  let boundary = splitBytes;
  let offset = 0;
  for await (const chunk of open()) {
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, nl + 1)) {
      const recordStart = offset + nl + 1;
      line++;
      if (recordStart >= boundary && recordStart < size) {
        splits.push({ file, start, end: recordStart, firstLine });
        start = recordStart;
        firstLine = line;
        boundary = recordStart + splitBytes;
      }
    }
    offset += chunk.length;
  }
  // The object may have changed since its size was read: the last split runs to what was scanned.
  splits.push({ file, start, end: Math.max(offset, start), firstLine });
  return splits;
}

requireForSerialization("beam-ts-native/io/files/file_splits", exports);
