/**
 * One column of a row group: its pages (a dictionary page for categories, then one data page of all
 * the row group's values), encoded, then compressed and each written after its header, and the column chunk's metadata
 * for the footer (Thrift `ColumnChunk`), with min/max statistics where the plan asks for them.
 */
import { bitWidth } from "./bit_packing";
import { ByteSink } from "./byte_sink";
import type { ColumnData } from "../columns";
import { Encoding, PhysicalType, type ColumnPlan } from "./column_plan";
import { writeDeltaBinaryPacked } from "./delta_binary_packed";
import { writeDeltaByteArray } from "./delta_byte_array";
import { CODEC_IDS, compressPage, type PageCompression } from "./page_codec";
import { writeDataPageHeader, writeDictionaryPageHeader, type PageSizes } from "./page_header";
import { writePlainBooleans, writePlainDoubles, writePlainStrings } from "./plain";
import { writeRleHybrid } from "./rle_hybrid";
import { CompactWriter } from "./thrift_compact";

/** What the footer says of a column chunk. */
export interface ColumnChunkMeta {
  plan: ColumnPlan;
  codec: number;
  values: number;
  /** Its pages' bytes, headers included, before and after compression. */
  uncompressed: number;
  compressed: number;
  /** Offsets in the file of its first data page and of its dictionary page. */
  dataPageOffset: number;
  dictionaryPageOffset?: number;
  /** Smallest and largest value (integers and times). */
  statistics?: { min: number; max: number };
}

/** A page's bytes before compression, reused page after page. */
const page = new ByteSink(1 << 20);
/** An integer or time column's values as numbers, for the delta encoder (one kind of array for it) and the statistics. */
let numbers = new Float64Array(0);

/** A page encoded, its compression under way. */
interface PendingPage {
  values: number;
  uncompressed: number;
  data: Promise<Uint8Array>;
  writeHeader: (writer: CompactWriter, sizes: PageSizes) => void;
}

/** A column chunk encoded, its pages being compressed: `appendColumnChunk` writes it. */
export interface EncodedColumnChunk {
  plan: ColumnPlan;
  compression: PageCompression;
  rows: number;
  dictionary?: PendingPage;
  data: PendingPage;
  statistics: ColumnChunkMeta["statistics"];
}

/** Encodes the pages of `rows` values of `column` and starts compressing them. */
export function encodeColumnChunk(plan: ColumnPlan, column: ColumnData, rows: number, compression: PageCompression): EncodedColumnChunk {
  // Each page's bytes are copied out of the shared sink: they are read while later pages are encoded.
  const pending = (values: number, writeHeader: PendingPage["writeHeader"]): PendingPage => {
    const bytes = page.bytes().slice();
    return { values, uncompressed: bytes.length, data: compressPage(bytes, compression), writeHeader };
  };
  let dictionary: PendingPage | undefined;
  if (column.kind === "category") {
    const labels = plan.dictionary ?? [];
    page.reset();
    writePlainStrings(page, labels);
    dictionary = pending(labels.length, writeDictionaryPageHeader);
  }
  page.reset();
  const statistics = writeValues(page, column, rows, plan.statistics);
  const data = pending(rows, (writer, sizes) => writeDataPageHeader(writer, sizes, plan.encoding));
  return { plan, compression, rows, dictionary, data, statistics };
}

/**
 * Appends an encoded column chunk's pages, each after its header, to `out`, whose first byte is at
 * `fileOffset` in the file, and returns the chunk's metadata.
 */
export async function appendColumnChunk(out: ByteSink, fileOffset: number, chunk: EncodedColumnChunk): Promise<ColumnChunkMeta> {
  const header = new CompactWriter(out);
  const meta: ColumnChunkMeta = { plan: chunk.plan, codec: CODEC_IDS[chunk.compression], values: chunk.rows, uncompressed: 0, compressed: 0, dataPageOffset: 0, statistics: chunk.statistics };
  const append = async (pending: PendingPage): Promise<void> => {
    const data = await pending.data;
    const start = out.length;
    pending.writeHeader(header, { values: pending.values, uncompressed: pending.uncompressed, compressed: data.length });
    const headerBytes = out.length - start;
    out.append(data);
    meta.uncompressed += headerBytes + pending.uncompressed;
    meta.compressed += headerBytes + data.length;
  };
  if (chunk.dictionary !== undefined) {
    meta.dictionaryPageOffset = fileOffset + out.length;
    await append(chunk.dictionary);
  }
  meta.dataPageOffset = fileOffset + out.length;
  await append(chunk.data);
  return meta;
}

/** The values of a data page, by the column's kind (the encodings of `column_plan.ts`); their min and max if asked. */
function writeValues(sink: ByteSink, column: ColumnData, rows: number, statistics: boolean): ColumnChunkMeta["statistics"] {
  switch (column.kind) {
    case "category": {
      // Width 1 at least: a one-label dictionary's codes are all 0, written as one run anyway.
      const width = Math.max(1, bitWidth(column.values.length - 1));
      sink.byte(width);
      writeRleHybrid(sink, column.codes, rows, width);
      return undefined;
    }
    case "text":
      writeDeltaByteArray(sink, column.text.bytes, column.text.offsets, rows);
      return undefined;
    case "int32":
    case "int64":
    case "timestampMs": {
      if (numbers.length < rows) numbers = new Float64Array(rows);
      if (column.kind === "int32") numbers.set(column.values.subarray(0, rows));
      else for (let k = 0; k < rows; k++) numbers[k] = column.values.get(k);
      writeDeltaBinaryPacked(sink, numbers, rows, column.kind === "int32");
      return statistics ? range(numbers, rows) : undefined;
    }
    case "float64":
      writePlainDoubles(sink, column.values, rows);
      return undefined;
    case "bool":
      writePlainBooleans(sink, column.bits, rows);
      return undefined;
  }
}

function range(values: Float64Array, rows: number): { min: number; max: number } {
  let min = values[0];
  let max = values[0];
  for (let k = 1; k < rows; k++) {
    const value = values[k];
    if (value < min) min = value;
    else if (value > max) max = value;
  }
  return { min, max };
}

/** The chunk's `ColumnChunk` struct, as an element of its row group's list. */
export function writeColumnChunkMetadata(writer: CompactWriter, meta: ColumnChunkMeta): void {
  const { plan } = meta;
  const encodings = plan.encoding === Encoding.RLE_DICTIONARY ? [Encoding.PLAIN, Encoding.RLE_DICTIONARY] : [plan.encoding];
  writer
    .i64(2, meta.dictionaryPageOffset ?? meta.dataPageOffset)
    .struct(3, (column) => {
      column
        .i32(1, plan.physicalType)
        .i32List(2, encodings)
        .stringList(3, [plan.name])
        .i32(4, meta.codec)
        .i64(5, meta.values)
        .i64(6, meta.uncompressed)
        .i64(7, meta.compressed)
        .i64(9, meta.dataPageOffset);
      if (meta.dictionaryPageOffset !== undefined) column.i64(11, meta.dictionaryPageOffset);
      const statistics = meta.statistics;
      if (statistics !== undefined) {
        const min = plainValue(plan.physicalType, statistics.min);
        const max = plainValue(plan.physicalType, statistics.max);
        // The deprecated min/max (1, 2) too: signed integers order the same either way, and older readers know only those.
        column.struct(12, (stats) => stats.binary(1, max).binary(2, min).i64(3, 0).binary(5, max).binary(6, min));
      }
    });
}

/** An integer as PLAIN encodes it: 4 or 8 little-endian bytes. */
function plainValue(physicalType: number, value: number): Uint8Array {
  const sink = new ByteSink(8);
  if (physicalType === PhysicalType.INT32) sink.int32(value);
  else sink.int64(value);
  return sink.bytes().slice();
}
