/**
 * Arrow IPC streams of column batches, made by filling in a template: the one way into
 * `parquet-wasm` (0.8 takes Arrow data only as an IPC stream, `Table.fromIPCStream`; it can export
 * through Arrow's C data interface but not import), at a tenth of what apache-arrow's writer costs
 * per batch.
 *
 * Every id has a fixed width and every other column a fixed size per row, so two batches with the
 * same number of rows have the same buffer lengths, hence a byte-identical IPC stream apart from
 * the buffers' contents: the schema, the dictionaries (the category labels) and the record batch's
 * metadata do not change. The first batch of each shape is written by apache-arrow (the template),
 * and later batches of that shape copy their typed arrays over the template's buffers, into the
 * same memory, batch after batch: no flatbuffers, no joins, no 2 MB of garbage per batch.
 * `test/generator/ipc_template.test.ts` checks the streams against apache-arrow's, byte for byte.
 */
import * as arrow from "apache-arrow";
import type { ColumnBatch, ColumnData } from "./columns";

/** Where a batch's buffers go in a template stream, and the stream itself. */
interface Template {
  stream: Uint8Array;
  /** Absolute offset in `stream` of each buffer of the record batch, in IPC order. */
  offsets: number[];
}

const NO_BYTES = new Uint8Array(0);

/** IPC streams of batches of one table, from templates made by `encode` (apache-arrow's writer). */
export class IpcTemplates {
  private readonly templates = new Map<string, Template>();

  constructor(private readonly encode: (batch: ColumnBatch) => Uint8Array) {}

  /**
   * The batch as an Arrow IPC stream (schema, dictionaries, one record batch). The bytes are the
   * template's, overwritten by the next batch of the same shape: use them before asking for another.
   */
  stream(batch: ColumnBatch): Uint8Array {
    const buffers = ipcBuffers(batch);
    const shape = buffers.map((buffer) => buffer.byteLength).join(",");
    const template = this.templates.get(shape);
    if (template === undefined) {
      const stream = this.encode(batch);
      this.templates.set(shape, { stream, offsets: bufferOffsets(stream, buffers) });
      return stream;
    }
    buffers.forEach((buffer, i) => template.stream.set(buffer, template.offsets[i]));
    return template.stream;
  }
}

/** The batch's buffers in the order an IPC record batch lists them: per column, validity then data. */
function ipcBuffers(batch: ColumnBatch): Uint8Array[] {
  const rows = batch.rows;
  // Columns are non-null: Arrow writes an empty validity bitmap for each.
  return batch.columns.flatMap((column: ColumnData): Uint8Array[] => {
    switch (column.kind) {
      case "text":
        return [NO_BYTES, bytesOf(column.text.offsets.subarray(0, rows + 1)), column.text.used()];
      case "category":
        return [NO_BYTES, column.codes.subarray(0, rows)];
      case "int32":
      case "float64":
        return [NO_BYTES, bytesOf(column.values.subarray(0, rows))];
      case "int64":
      case "timestampMs":
        return [NO_BYTES, bytesOf(column.values.words.subarray(0, 2 * rows))];
      case "bool":
        return [NO_BYTES, column.bits.subarray(0, Math.ceil(rows / 8))];
    }
  });
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Where each of `buffers` sits in `stream`, read from the stream's record batch message; throws
 * when the stream's buffers are not those, padded (a layout this module does not know).
 */
function bufferOffsets(stream: Uint8Array, buffers: Uint8Array[]): number[] {
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  for (let at = 0; at + 8 <= stream.byteLength; ) {
    // An encapsulated message: 0xFFFFFFFF, the metadata's length, the metadata, the body.
    const metadataLength = view.getInt32(at + 4, true);
    if (view.getUint32(at, true) !== 0xffffffff || metadataLength === 0) break;
    const message = arrow.Message.decode(stream.subarray(at + 8, at + 8 + metadataLength));
    const body = at + 8 + metadataLength;
    if (message.isRecordBatch()) {
      const regions = message.header().buffers;
      // apache-arrow pads each buffer to a multiple of 8 bytes (zeros, left as they are).
      const fits = regions.length === buffers.length && regions.every((region, i) => region.length === Math.ceil(buffers[i].byteLength / 8) * 8);
      if (!fits) throw new Error(`ipc_template: the record batch's buffers (${regions.map((r) => r.length).join(",")}) are not the batch's (${buffers.map((b) => b.byteLength).join(",")})`);
      return regions.map((region) => body + region.offset);
    }
    at = body + message.bodyLength;
  }
  throw new Error("ipc_template: no record batch in the stream");
}
