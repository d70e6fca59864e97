/**
 * DELTA_BYTE_ARRAY (incremental encoding), for the id columns: each value as the length of the
 * prefix it shares with the value before it and the rest of its bytes; the prefix lengths and the
 * suffixes' lengths DELTA_BINARY_PACKED, then the suffixes end to end. Ids of one letter and a fixed
 * count of digits share their letter and leading digits, and their lengths are all alike.
 */
import type { ByteSink } from "./byte_sink";
import { writeDeltaBinaryPacked } from "./delta_binary_packed";

/**
 * Prefix and suffix lengths of a page, reused page after page (grown when a page has more values);
 * Float64Arrays, as every input of the delta encoder is, so its loops see one kind of array.
 */
let prefixes = new Float64Array(0);
let suffixes = new Float64Array(0);

/** Writes `count` byte arrays (value k spans `bytes[offsets[k]..offsets[k+1]]`) as DELTA_BYTE_ARRAY. */
export function writeDeltaByteArray(sink: ByteSink, bytes: Uint8Array, offsets: Int32Array, count: number): void {
  if (prefixes.length < count) {
    prefixes = new Float64Array(count);
    suffixes = new Float64Array(count);
  }
  let previous = 0;
  let previousLength = 0;
  for (let k = 0; k < count; k++) {
    const start = offsets[k];
    const length = offsets[k + 1] - start;
    const limit = Math.min(length, previousLength);
    let shared = 0;
    while (shared < limit && bytes[start + shared] === bytes[previous + shared]) shared++;
    prefixes[k] = shared;
    suffixes[k] = length - shared;
    previous = start;
    previousLength = length;
  }
  writeDeltaBinaryPacked(sink, prefixes, count, true);
  writeDeltaBinaryPacked(sink, suffixes, count, true);
  for (let k = 0; k < count; k++) sink.appendRange(bytes, offsets[k + 1] - suffixes[k], offsets[k + 1]);
}
