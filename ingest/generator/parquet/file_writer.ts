/**
 * A Parquet file of the generator's columns, written batch by batch: rows are gathered into the
 * row group being filled (`row_group_buffer.ts`); a full row group is encoded column by column and
 * becomes one chunk of the file's bytes; `finish` adds the footer. The bytes are a function of
 * the rows alone, whatever thread writes them.
 */
import { ByteSink } from "./byte_sink";
import type { ColumnBatch, ColumnSpec } from "../columns";
import { appendColumnChunk, encodeColumnChunk, type ColumnChunkMeta } from "./column_chunk";
import { planColumn, type ColumnPlan } from "./column_plan";
import { footerBytes, MAGIC, type RowGroupMeta } from "./footer";
import type { PageCompression } from "./page_codec";
import { RowGroupBuffer } from "./row_group_buffer";

/**
 * A row group's encoded bytes, reused row group after row group (each chunk handed out is a copy):
 * a thread writes one file at a time (`../file_task.ts`), and a writer one row group at a time.
 */
const rowGroupBytes = new ByteSink(1 << 21);

export class ParquetFileWriter {
  private readonly plans: ColumnPlan[];
  private readonly buffer: RowGroupBuffer;
  private readonly rowGroups: RowGroupMeta[] = [];
  private readonly chunks: Uint8Array[] = [];
  /** Bytes of the file so far: the magic, then the row groups written. */
  private offset = MAGIC.length;
  private rows = 0;

  constructor(
    specs: readonly ColumnSpec[],
    private readonly compression: PageCompression,
    rowGroupRows: number,
  ) {
    this.plans = specs.map(planColumn);
    this.buffer = new RowGroupBuffer(specs, rowGroupRows);
  }

  /** Adds a batch's rows, writing each row group that they fill (one call at a time). */
  async add(batch: ColumnBatch): Promise<void> {
    for (let from = 0; from < batch.rows; ) {
      const to = Math.min(batch.rows, from + this.buffer.capacity - this.buffer.rows);
      this.buffer.append(batch, from, to);
      from = to;
      if (this.buffer.rows === this.buffer.capacity) await this.writeRowGroup();
    }
  }

  /** The file's bytes: the row groups' chunks (the first after the magic), then the footer. */
  async finish(): Promise<Uint8Array[]> {
    if (this.buffer.rows > 0) await this.writeRowGroup();
    const footer = footerBytes(this.plans, this.rows, this.rowGroups);
    return this.chunks.length === 0 ? [MAGIC.slice(), footer] : [...this.chunks, footer];
  }

  private async writeRowGroup(): Promise<void> {
    const rows = this.buffer.rows;
    rowGroupBytes.reset();
    if (this.chunks.length === 0) rowGroupBytes.append(MAGIC);
    // Offsets in the file of the sink's first byte.
    const base = this.offset - rowGroupBytes.length;
    // One column at a time: the thread waits while zstd compresses the column's pages on libuv's
    // pool, so a writer's thread keeps to one core and `--workers N` uses N. Compressing a row
    // group's columns side by side had one thread use 1.2 cores, and two no faster on two cores.
    const columns: ColumnChunkMeta[] = [];
    for (const [c, plan] of this.plans.entries()) {
      const chunk = encodeColumnChunk(plan, this.buffer.columns[c], rows, this.compression);
      columns.push(await appendColumnChunk(rowGroupBytes, base, chunk));
    }
    this.rowGroups.push({ rows, fileOffset: this.offset, columns });
    this.chunks.push(rowGroupBytes.bytes().slice());
    this.offset = base + rowGroupBytes.length;
    this.rows += rows;
    this.buffer.reset();
  }
}
