/**
 * Bytes appended end to end into one growable buffer, reused page after page: the encoders write
 * little-endian numbers, varints and raw bytes into it, and a page's bytes are a view of it until
 * the sink is emptied again.
 */
export class ByteSink {
  private buffer: Uint8Array;
  private view: DataView;
  /** Bytes written so far. */
  length = 0;

  constructor(capacity = 1 << 16) {
    this.buffer = new Uint8Array(capacity);
    this.view = new DataView(this.buffer.buffer);
  }

  /** Empties the sink, keeping its memory. */
  reset(): void {
    this.length = 0;
  }

  /** The bytes written, as a view (valid until the next write or reset). */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** Makes room for `extra` more bytes. */
  reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** `source[from..to]`, byte by byte: for short ranges (an id's suffix) cheaper than a subarray and a copy. */
  appendRange(source: Uint8Array, from: number, to: number): void {
    this.reserve(to - from);
    const buffer = this.buffer;
    let at = this.length;
    for (let k = from; k < to; k++) buffer[at++] = source[k];
    this.length = at;
  }

  int32(value: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, value, true);
    this.length += 4;
  }

  /** A 32-bit word, unsigned (bit-packed data). The caller has reserved the room. */
  uint32Unchecked(value: number): void {
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  /** A little-endian int64 of an integer below 2^53 in magnitude. */
  int64(value: number): void {
    const high = Math.floor(value / 4294967296);
    this.reserve(8);
    this.view.setUint32(this.length, value - high * 4294967296, true);
    this.view.setInt32(this.length + 4, high, true);
    this.length += 8;
  }

  float64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  /** An unsigned LEB128 varint of a non-negative integer below 2^53 (Thrift, Parquet's run headers). */
  varint(value: number): void {
    this.reserve(8);
    let v = value;
    // Above 2^31 the bit operators would truncate: peel seven bits at a time by division.
    while (v >= 0x80000000) {
      this.buffer[this.length++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    while (v >= 0x80) {
      this.buffer[this.length++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buffer[this.length++] = v;
  }

  /** A zigzag varint of an integer below 2^52 in magnitude (signed Thrift integers, delta headers). */
  zigzagVarint(value: number): void {
    this.varint(value >= 0 ? 2 * value : -2 * value - 1);
  }
}
