/**
 * Columns as the generator fills them: flat typed arrays, one per column, written row by row
 * without allocating a JavaScript object per value. The encoders (`file_encoding.ts`) turn them
 * into Arrow data for Parquet, or into CSV and JSON-lines text, from the same arrays.
 */

/** The kinds of column the generated tables use. */
export type ColumnKind = "text" | "category" | "int32" | "int64" | "float64" | "timestampMs" | "bool";

/** A column of a table: its name, its kind, and for a `category` column the values its codes stand for. */
export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  /** `category` only: the values, in code order. */
  values?: readonly string[];
  /** What the column holds, for the README and `--help`. */
  doc: string;
}

/**
 * ASCII text values laid end to end (`bytes`) with their `offsets` (value k spans
 * `offsets[k]..offsets[k+1]`): Arrow's own layout for a Utf8 column, so Parquet gets it uncopied.
 */
export class AsciiColumn {
  bytes: Uint8Array;
  readonly offsets: Int32Array;
  private length = 0;
  private end = 0;

  constructor(rows: number, bytesPerValue: number) {
    this.bytes = new Uint8Array(rows * bytesPerValue);
    this.offsets = new Int32Array(rows + 1);
  }

  /** Appends `prefix` followed by `n` as exactly `digits` decimal digits (zero-padded). */
  pushPrefixedNumber(prefix: number, n: number, digits: number): void {
    this.reserve(digits + 1);
    const bytes = this.bytes;
    bytes[this.end] = prefix;
    let at = this.end + digits;
    for (let d = 0; d < digits; d++) {
      const q = Math.floor(n / 10);
      bytes[at--] = 48 + (n - q * 10);
      n = q;
    }
    this.end += digits + 1;
    this.offsets[++this.length] = this.end;
  }

  /** The value of row `k` as a string (CSV and JSON encoders). */
  valueAt(k: number): string {
    let text = "";
    for (let at = this.offsets[k]; at < this.offsets[k + 1]; at++) text += String.fromCharCode(this.bytes[at]);
    return text;
  }

  /** Empties the column, keeping its memory for the next batch. */
  reset(): void {
    this.length = 0;
    this.end = 0;
  }

  /** The bytes actually used. */
  used(): Uint8Array {
    return this.bytes.subarray(0, this.end);
  }

  private reserve(extra: number): void {
    if (this.end + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.end + extra));
    grown.set(this.bytes.subarray(0, this.end));
    this.bytes = grown;
  }
}

/** A column's data while it is filled: typed arrays only. */
export type ColumnData =
  | { kind: "text"; text: AsciiColumn }
  | { kind: "category"; codes: Uint8Array; values: readonly string[] }
  | { kind: "int32"; values: Int32Array }
  | { kind: "int64" | "timestampMs"; values: Int64Column }
  | { kind: "float64"; values: Float64Array }
  | { kind: "bool"; bits: Uint8Array };

/**
 * 64-bit integers below 2^53 stored as Arrow wants them (little-endian int64), written through a
 * 32-bit view: no BigInt per value.
 */
export class Int64Column {
  readonly words: Int32Array;
  constructor(readonly rows: number) {
    this.words = new Int32Array(rows * 2);
  }
  set(k: number, value: number): void {
    const high = Math.floor(value / 4294967296);
    this.words[2 * k] = value - high * 4294967296;
    this.words[2 * k + 1] = high;
  }
  get(k: number): number {
    return this.words[2 * k + 1] * 4294967296 + (this.words[2 * k] >>> 0);
  }
  /** The first `length` values as Arrow's BigInt64Array, over the same memory. */
  asBigInt64(length: number): BigInt64Array {
    return new BigInt64Array(this.words.buffer, this.words.byteOffset, length);
  }
}

/** A batch of rows of one table: its row count and its columns in schema order (arrays may be longer). */
export interface ColumnBatch {
  rows: number;
  specs: readonly ColumnSpec[];
  columns: ColumnData[];
}

/** Empty columns for `rows` rows of a table with these specs; `textWidth` guesses a text value's length. */
export function allocateColumns(specs: readonly ColumnSpec[], rows: number, textWidth = 14): ColumnData[] {
  return specs.map((spec): ColumnData => {
    switch (spec.kind) {
      case "text":
        return { kind: "text", text: new AsciiColumn(rows, textWidth) };
      case "category":
        return { kind: "category", codes: new Uint8Array(rows), values: spec.values ?? [] };
      case "int32":
        return { kind: "int32", values: new Int32Array(rows) };
      case "int64":
      case "timestampMs":
        return { kind: spec.kind, values: new Int64Column(rows) };
      case "float64":
        return { kind: "float64", values: new Float64Array(rows) };
      case "bool":
        return { kind: "bool", bits: new Uint8Array(Math.ceil(rows / 8)) };
    }
  });
}

/**
 * Readies columns filled before for another batch: a thread reuses one set of columns for all the
 * batches of a file, so rows cost no allocation and leave no garbage behind.
 */
export function resetColumns(columns: ColumnData[]): void {
  for (const column of columns) {
    if (column.kind === "text") column.text.reset();
    else if (column.kind === "bool") column.bits.fill(0);
  }
}

/** Sets bit `k` of a bool column. */
export function setBit(bits: Uint8Array, k: number): void {
  bits[k >> 3] |= 1 << (k & 7);
}

/** Bit `k` of a bool column. */
export function getBit(bits: Uint8Array, k: number): boolean {
  return (bits[k >> 3] & (1 << (k & 7))) !== 0;
}

/** Row `k` of a column as a JavaScript value: text as strings, 64-bit integers and timestamps (epoch ms) as numbers. */
export function valueAt(column: ColumnData, k: number): string | number | boolean {
  switch (column.kind) {
    case "text":
      return column.text.valueAt(k);
    case "category":
      return column.values[column.codes[k]];
    case "int32":
    case "float64":
      return column.values[k];
    case "int64":
    case "timestampMs":
      return column.values.get(k);
    case "bool":
      return getBit(column.bits, k);
  }
}
