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
  /** `text` only, when they are few: how many distinct values the column holds (Parquet then dictionary-encodes it). */
  distinctValues?: number;
  /** `category` only: one value holds (nearly) every row (Parquet then stores the text, which zstd folds, rather than a dictionary). */
  skewed?: boolean;
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
  /** Over `bytes`: digits are stored four at a time. */
  private view: DataView;
  private length = 0;
  private end = 0;

  constructor(rows: number, bytesPerValue: number) {
    this.bytes = new Uint8Array(rows * bytesPerValue);
    this.view = new DataView(this.bytes.buffer);
    this.offsets = new Int32Array(rows + 1);
  }

  /**
   * Appends `count` values: value k is `prefix` followed by `numbers[k]` (below 10^`digits`) as
   * exactly `digits` decimal digits (zero-padded). A column's values are written in one loop, after
   * the rows are made, rather than one call per value from the row loop: five calls per row, too
   * many for V8 to inline there, cost ~0.05 µs per row more.
   */
  pushPrefixedNumbers(prefix: number, numbers: ArrayLike<number>, count: number, digits: number): void {
    const width = digits + 1;
    this.reserve(count * width);
    const bytes = this.bytes;
    const view = this.view;
    const offsets = this.offsets;
    let next = this.end;
    let filled = this.length;
    for (let k = 0; k < count; k++) {
      bytes[next] = prefix;
      let n = numbers[k];
      let at = next + digits;
      let left = digits;
      // Digits are peeled in int32 arithmetic, where a division by a constant compiles to a
      // multiplication: a number above 2^31 (transaction ids) is first cut into groups of eight digits.
      while (left > 9) {
        const high = Math.floor(n / 1e8);
        at = pushDigits(bytes, view, at, n - high * 1e8, 8);
        left -= 8;
        n = high;
      }
      pushDigits(bytes, view, at, n, left);
      next += width;
      offsets[++filled] = next;
    }
    this.end = next;
    this.length = filled;
  }

  /** Appends values `from` to `to` − 1 of another column (a Parquet row group gathered from batches). */
  pushRange(source: AsciiColumn, from: number, to: number): void {
    const start = source.offsets[from];
    this.reserve(source.offsets[to] - start);
    this.bytes.set(source.bytes.subarray(start, source.offsets[to]), this.end);
    const shift = this.end - start;
    const offsets = this.offsets;
    let filled = this.length;
    for (let k = from + 1; k <= to; k++) offsets[++filled] = source.offsets[k] + shift;
    this.end += source.offsets[to] - start;
    this.length = filled;
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
    this.view = new DataView(grown.buffer);
  }
}

/** The four ASCII digits of 0000 to 9999, each as the little-endian uint32 that stores them at once. */
const DIGIT_QUADS = Uint32Array.from({ length: 10_000 }, (_, n) => {
  const text = String(n).padStart(4, "0");
  return text.charCodeAt(0) | (text.charCodeAt(1) << 8) | (text.charCodeAt(2) << 16) | (text.charCodeAt(3) << 24);
});

/**
 * Writes the last `digits` decimal digits of `n` (below 2^31) backwards, ending at `at`, four at
 * a time (one division and one store for four digits: the five ids of a row took a quarter of its
 * generation one digit at a time); returns where the digit before them goes.
 */
function pushDigits(bytes: Uint8Array, view: DataView, at: number, n: number, digits: number): number {
  let m = n | 0;
  let left = digits;
  for (; left >= 4; left -= 4) {
    const q = (m / 10_000) | 0;
    view.setUint32(at - 3, DIGIT_QUADS[m - q * 10_000], true);
    at -= 4;
    m = q;
  }
  for (; left > 0; left--) {
    const q = (m / 10) | 0;
    bytes[at--] = 48 + m - q * 10;
    m = q;
  }
  return at;
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
