/**
 * Parquet's RLE / bit-packing hybrid, for a dictionary-encoded column's indices (its codes): runs
 * of 8 or more equal codes as one run-length pair, everything else bit-packed in groups of 8.
 * Skewed categories (`currency`, always one value; `fraud_pattern`, `none` but for the fraud) shrink
 * to a few runs; the others are bit-packed at the dictionary's width.
 */
import { packBits } from "./bit_packing";
import type { ByteSink } from "./byte_sink";

/** A run this long or longer is run-length encoded (shorter ones cost more as runs than packed). */
const MIN_REPEAT = 8;

/** Writes `count` codes, each below 2^`width` (1 ≤ `width` ≤ 8), as RLE / bit-packed runs. */
export function writeRleHybrid(sink: ByteSink, codes: Uint8Array, count: number, width: number): void {
  const valueBytes = (width + 7) >> 3;
  let packedFrom = 0;
  let k = 0;
  // Groups of 8 are taken from where the bit-packed stretch began, so a stretch is whole groups.
  while (k + MIN_REPEAT <= count) {
    const code = codes[k];
    let end = k + 1;
    while (end < count && codes[end] === code) end++;
    if (end - k >= MIN_REPEAT) {
      writePacked(sink, codes, packedFrom, k - packedFrom, width);
      sink.varint((end - k) * 2);
      for (let b = 0; b < valueBytes; b++) sink.byte(code >> (8 * b));
      k = end;
      packedFrom = k;
    } else k += 8;
  }
  writePacked(sink, codes, packedFrom, count - packedFrom, width);
}

/** A bit-packed run of `count` codes, padded to a whole group of 8 (readers stop at the page's value count). */
function writePacked(sink: ByteSink, codes: Uint8Array, start: number, count: number, width: number): void {
  if (count === 0) return;
  const groups = Math.ceil(count / 8);
  sink.varint(groups * 2 + 1);
  const whole = Math.floor(count / 8) * 8;
  packBits(sink, codes, start, whole, width);
  if (whole < count) {
    const last = new Uint8Array(8);
    last.set(codes.subarray(start + whole, start + count));
    packBits(sink, last, 0, 8, width);
  }
}
