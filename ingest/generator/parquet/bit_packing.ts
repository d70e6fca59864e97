/**
 * Parquet's bit packing: unsigned values of `width` bits laid end to end, least significant bit
 * first, in little-endian bytes (the bit-packed runs of the RLE hybrid, the miniblocks of
 * DELTA_BINARY_PACKED).
 */
import type { ByteSink } from "./byte_sink";

/**
 * Packs `count` values from `values[start]` on, each below 2^`width` (`width` ≤ 32), into whole
 * bytes (the last byte padded with zero bits). Words of 32 bits are filled and stored at once.
 */
export function packBits(sink: ByteSink, values: ArrayLike<number>, start: number, count: number, width: number): void {
  const totalBits = count * width;
  sink.reserve(Math.ceil(totalBits / 32) * 4);
  let word = 0;
  let used = 0;
  for (let k = start, end = start + count; k < end; k++) {
    const value = values[k];
    word |= value << used;
    used += width;
    if (used >= 32) {
      sink.uint32Unchecked(word);
      used -= 32;
      // The value's bits that did not fit; a shift by 32 would be a shift by 0 in JavaScript.
      word = used === 0 ? 0 : value >>> (width - used);
    }
  }
  for (let bits = 0; bits < used; bits += 8) {
    sink.byte(word & 0xff);
    word >>>= 8;
  }
}

/** Bits needed to store `max` (a non-negative integer below 2^53); 0 for 0. */
export function bitWidth(max: number): number {
  if (max < 4294967296) return 32 - Math.clz32(max);
  return 32 + bitWidth(Math.floor(max / 4294967296));
}
