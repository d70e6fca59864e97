/**
 * Splitting text files so several workers read one file at once. A split is a byte range
 * [start, end) of one file plus the line number of its first line; a record (line) belongs to the
 * split its first byte is in. Splits of a local file start where records start: planning scans the
 * file once for newlines (a native byte search, far cheaper than parsing), so each split knows its
 * first line number exactly and dead letters still say `file:line`. A compressed file cannot be
 * entered mid-stream and a `gs://` object is not scanned, so each of those is one split; a pattern
 * is split per file and then within files.
 */
import * as fs from "fs";
import { requireForSerialization } from "apache-beam/serialization";

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

const SCAN_CHUNK = 1 << 20;
const NEWLINE = 0x0a;
const COMPRESSED = /\.(gz|bz2|zst|zip|xz|deflate|snappy)$/i;

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
  const handle = await fs.promises.open(file, "r");
  try {
    const { size } = await handle.stat();
    splitBytes ??= splitBytesFor(size);
    if (size <= splitBytes) return [{ file, start: 0, end: size, firstLine: 1 }];
    const splits: FileSplit[] = [];
    let start = 0;
    let firstLine = 1;
    let line = 1;
    // The next split starts at the first record starting at or after this offset.
    let boundary = splitBytes;
    const buffer = Buffer.allocUnsafe(SCAN_CHUNK);
    for (let offset = 0; offset < size; ) {
      const { bytesRead } = await handle.read(buffer, 0, SCAN_CHUNK, offset);
      if (bytesRead === 0) break;
      for (let nl = buffer.indexOf(NEWLINE, 0); nl !== -1 && nl < bytesRead; nl = buffer.indexOf(NEWLINE, nl + 1)) {
        const recordStart = offset + nl + 1;
        line++;
        if (recordStart >= boundary && recordStart < size) {
          splits.push({ file, start, end: recordStart, firstLine });
          start = recordStart;
          firstLine = line;
          boundary = recordStart + splitBytes;
        }
      }
      offset += bytesRead;
    }
    splits.push({ file, start, end: size, firstLine });
    return splits;
  } finally {
    await handle.close();
  }
}

requireForSerialization("beam-ts-native/io/files/file_splits", exports);
