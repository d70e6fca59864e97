/**
 * The rows of the row group being written, gathered from the generator's batches: a row group
 * (`ROW_GROUP_ROWS`) spans batches, or ends inside one, so its columns are copied here (a few
 * bytes per value, against the encoding's work) and encoded whole once it is full.
 */
import { allocateColumns, resetColumns, type ColumnBatch, type ColumnData, type ColumnSpec } from "../columns";

export class RowGroupBuffer {
  readonly columns: ColumnData[];
  /** Rows gathered so far. */
  rows = 0;

  constructor(specs: readonly ColumnSpec[], readonly capacity: number) {
    this.columns = allocateColumns(specs, capacity);
  }

  /** Appends rows `from` to `to` − 1 of a batch (at most `capacity` − `rows` of them). */
  append(batch: ColumnBatch, from: number, to: number): void {
    const at = this.rows;
    batch.columns.forEach((source, c) => {
      const target = this.columns[c];
      switch (source.kind) {
        case "text":
          (target as typeof source).text.pushRange(source.text, from, to);
          break;
        case "category":
          (target as typeof source).codes.set(source.codes.subarray(from, to), at);
          break;
        case "int32":
        case "float64":
          (target as typeof source).values.set(source.values.subarray(from, to) as never, at);
          break;
        case "int64":
        case "timestampMs":
          (target as typeof source).values.words.set(source.values.words.subarray(2 * from, 2 * to), 2 * at);
          break;
        case "bool":
          copyBits(source.bits, from, to, (target as typeof source).bits, at);
          break;
      }
    });
    this.rows += to - from;
  }

  /** Empties the buffer for the next row group. */
  reset(): void {
    resetColumns(this.columns);
    this.rows = 0;
  }
}

/** Copies bits `from` to `to` − 1 of `source` to `target` from bit `at` on (`target`'s bits there are zero). */
function copyBits(source: Uint8Array, from: number, to: number, target: Uint8Array, at: number): void {
  if ((from & 7) === 0 && (at & 7) === 0) {
    target.set(source.subarray(from >> 3, (to + 7) >> 3), at >> 3);
    // The source's last byte may hold bits past `to`.
    const end = at + to - from;
    if ((end & 7) !== 0) target[end >> 3] &= (1 << (end & 7)) - 1;
    return;
  }
  for (let k = from, t = at; k < to; k++, t++) if ((source[k >> 3] & (1 << (k & 7))) !== 0) target[t >> 3] |= 1 << (t & 7);
}
