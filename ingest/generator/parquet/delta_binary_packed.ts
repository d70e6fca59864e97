/**
 * DELTA_BINARY_PACKED, Parquet's encoding of integers (and of times, and of byte-array lengths):
 * the first value, then blocks of 128 deltas, each block its smallest delta and four miniblocks of
 * 32 deltas above it, bit-packed at the width the miniblock needs. Sorted times and equal lengths
 * pack to a few bits per value.
 *
 * Values are JavaScript numbers (the generator's int64 columns hold integers below 2^53): for INT64
 * columns the arithmetic is exact while |value| < 2^51, which keeps every delta and its distance to
 * the block's smallest below 2^53. INT32 columns' deltas wrap around in 32 bits, as readers decode
 * them (the Rust crate reads an INT32 column's smallest delta as an i32). Deltas of up to 32 bits
 * above the minimum are packed as 32-bit words; wider ones (times decades apart, prices in the
 * billions) in two pieces each.
 */
import { bitWidth, packBits } from "./bit_packing";
import type { ByteSink } from "./byte_sink";

const BLOCK = 128;
const MINIBLOCKS = 4;
const MINIBLOCK = BLOCK / MINIBLOCKS;
const TWO_32 = 4294967296;

/** A block's deltas above its smallest: reused, one block at a time. */
const relative = new Float64Array(BLOCK);

/**
 * Writes the first `count` values of `values` as DELTA_BINARY_PACKED: int32 values with deltas
 * wrapping around in 32 bits (`wrap32`), or integers below 2^51 in magnitude.
 */
export function writeDeltaBinaryPacked(sink: ByteSink, values: Float64Array, count: number, wrap32: boolean): void {
  sink.varint(BLOCK);
  sink.varint(MINIBLOCKS);
  sink.varint(count);
  sink.zigzagVarint(count > 0 ? values[0] : 0);
  for (let first = 1; first < count; first += BLOCK) {
    const deltas = Math.min(BLOCK, count - first);
    let min = Infinity;
    for (let j = 0; j < deltas; j++) {
      const difference = values[first + j] - values[first + j - 1];
      const delta = wrap32 ? difference | 0 : difference;
      relative[j] = delta;
      if (delta < min) min = delta;
    }
    if (wrap32) for (let j = 0; j < deltas; j++) relative[j] = (relative[j] - min) >>> 0;
    else for (let j = 0; j < deltas; j++) relative[j] -= min;
    // The last miniblock's padding: zero bits.
    relative.fill(0, deltas);
    sink.zigzagVarint(min);
    const used = Math.ceil(deltas / MINIBLOCK);
    const widths = [0, 0, 0, 0];
    sink.reserve(MINIBLOCKS);
    for (let m = 0; m < used; m++) {
      let max = 0;
      for (let j = m * MINIBLOCK, end = j + MINIBLOCK; j < end; j++) if (relative[j] > max) max = relative[j];
      widths[m] = bitWidth(max);
    }
    for (let m = 0; m < MINIBLOCKS; m++) sink.byte(widths[m]);
    for (let m = 0; m < used; m++) {
      if (widths[m] <= 32) packBits(sink, relative, m * MINIBLOCK, MINIBLOCK, widths[m]);
      else packWide(sink, relative, m * MINIBLOCK, MINIBLOCK, widths[m]);
    }
  }
}

/**
 * Packs values of more than 32 bits (`width` ≤ 53): each as its low 32 bits then its high
 * `width` − 32, which is the same bit stream as the value packed whole, least significant bit first.
 */
function packWide(sink: ByteSink, values: ArrayLike<number>, start: number, count: number, width: number): void {
  const highWidth = width - 32;
  let word = 0;
  let used = 0;
  sink.reserve(count * 8);
  for (let k = start; k < start + count; k++) {
    const high = Math.floor(values[k] / TWO_32);
    const low = values[k] - high * TWO_32;
    // The low 32 bits fill the rest of the word and start the next one.
    sink.uint32Unchecked((word | (low << used)) >>> 0);
    word = used === 0 ? 0 : low >>> (32 - used);
    word |= high << used;
    used += highWidth;
    if (used >= 32) {
      sink.uint32Unchecked(word >>> 0);
      used -= 32;
      word = used === 0 ? 0 : high >>> (highWidth - used);
    }
  }
  for (let bits = 0; bits < used; bits += 8) {
    sink.byte(word & 0xff);
    word >>>= 8;
  }
}
