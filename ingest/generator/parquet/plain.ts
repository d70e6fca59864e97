/**
 * PLAIN, Parquet's encoding of values as they are: doubles as 8 little-endian bytes, booleans one
 * bit each (least significant first: the generator's own bit columns), byte arrays as a 4-byte
 * length and the bytes (a dictionary page's labels).
 */
import type { ByteSink } from "./byte_sink";

const utf8 = new TextEncoder();
/** Whether this machine stores a Float64Array's values little-endian, as Parquet does. */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

export function writePlainDoubles(sink: ByteSink, values: Float64Array, count: number): void {
  if (LITTLE_ENDIAN) sink.append(new Uint8Array(values.buffer, values.byteOffset, count * 8));
  else for (let k = 0; k < count; k++) sink.float64(values[k]);
}

/** `count` booleans from `bits` (bit k of byte k / 8); the last byte's bits past `count` are zero in the generator's columns. */
export function writePlainBooleans(sink: ByteSink, bits: Uint8Array, count: number): void {
  sink.append(bits.subarray(0, Math.ceil(count / 8)));
}

export function writePlainStrings(sink: ByteSink, values: readonly string[]): void {
  for (const value of values) {
    const bytes = utf8.encode(value);
    sink.int32(bytes.length);
    sink.append(bytes);
  }
}
