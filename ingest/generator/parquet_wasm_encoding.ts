/**
 * Parquet + snappy through `parquet-wasm` (the Rust `parquet` crate compiled to WebAssembly), fed
 * Arrow IPC streams of the generator's typed arrays: `apache-arrow` writes the first batch of each
 * shape, `ipc_template.ts` the others. Zstd and uncompressed files have our own writer (`parquet/`).
 */
import * as arrow from "apache-arrow";
import * as parquet from "parquet-wasm/node";
import type { ColumnBatch, ColumnData, ColumnSpec } from "./columns";
import type { FileEncoder } from "./file_encoding";
import { ROW_GROUP_ROWS } from "./file_format";
import { IpcTemplates } from "./ipc_template";

/** Text columns with at most this many distinct values are dictionary-encoded in Parquet, as categories are. */
const DICTIONARY_MAX_DISTINCT = 1_000;

/**
 * Whether Parquet dictionary-encodes the column: categories but the skewed ones, and text columns of
 * few values (merchant ids).
 */
function dictionaryEncoded(spec: ColumnSpec): boolean {
  return (spec.kind === "category" && spec.skewed !== true) || (spec.distinctValues ?? Infinity) <= DICTIONARY_MAX_DISTINCT;
}
/** Column kinds with min/max statistics per column chunk: numbers and times, for pruning row groups. */
const STATISTICS_KINDS: ReadonlySet<ColumnSpec["kind"]> = new Set(["int32", "int64", "timestampMs"]);

/**
 * A Parquet + snappy encoder (our writer offers zstd and none): batches are appended to the row group being written (`transformParquetStream`
 * encodes and compresses them as they arrive, and emits each row group once full).
 *
 * The writer's settings are what its CPU goes to (measured per row on this machine, 262,144
 * transactions, zstd: 1.9 µs with the library's defaults, ~0.95 µs with these; files 49 → 38.7 B/row):
 * - Dictionary encoding only for the category columns and `merchant_id` (500 values). Ids, prices,
 *   coordinates and times are (nearly) unique: a dictionary would be built for each column chunk,
 *   hashing every value, then dropped when it outgrows its page. Merchant ids are few: with a
 *   dictionary they cost 0.047 µs instead of 0.081 and take 1.2 bytes instead of 1.95; product ids
 *   (50,000) cost more with one (0.16 µs against 0.10). The small integers (`discount_percent`,
 *   `quantity`) are delta-encoded: hashing them into a dictionary cost 0.02 µs each per row more,
 *   for 0.45 bytes per row less. The skewed categories (`currency`, always `INR`; `fraud_pattern`,
 *   `none` but for the fraud) are `DELTA_LENGTH_BYTE_ARRAY`: equal lengths delta-encode to nothing
 *   and zstd folds the repeated text, 0.03–0.05 µs per row less than hashing every value, for
 *   0.08 bytes per row more.
 * - Version 2 data pages, whose fallback encodings are delta ones (`DELTA_BINARY_PACKED` for
 *   integers and times, `DELTA_BYTE_ARRAY` for ids): sorted times and shared id prefixes shrink
 *   before zstd sees them, and zstd, with less to compress, takes less time. `PLAIN` and
 *   `DELTA_LENGTH_BYTE_ARRAY` ids cost 0.01–0.03 µs more per column.
 * - Statistics per column chunk (min/max, for pruning row groups by time or amount) for the integer
 *   and time columns only, where they cost nothing measurable. Those of text and coordinates cost
 *   ~0.2 µs per row, and min/max of random ids or of a dictionary's labels prune little; per page,
 *   statistics cost as much again.
 * What is left, per column: each id ~0.07–0.085 µs (`DELTA_BYTE_ARRAY` then zstd), each category
 * 0.03–0.05 (the writer hashes every value into its dictionary, even given Arrow dictionary data),
 * each coordinate ~0.03, each integer or time ~0.01–0.02; zstd at the crate's default level, 1 (the
 * builder has no setting for it; 3 cost ~25 % more CPU for 3.6 % smaller files) is ~0.25 of the whole. Row groups of 32k–128k rows, write batches of
 * 256–16k and data pages of 64 kB–8 MB cost the same within the noise.
 */
export function parquetWasmEncoder(specs: readonly ColumnSpec[]): FileEncoder {
  let builder = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.SNAPPY)
    .setMaxRowGroupSize(ROW_GROUP_ROWS)
    .setWriterVersion(parquet.WriterVersion.V2)
    .setStatisticsEnabled(parquet.EnabledStatistics.None);
  for (const spec of specs) {
    if (STATISTICS_KINDS.has(spec.kind)) builder = builder.setColumnStatisticsEnabled(spec.name, parquet.EnabledStatistics.Chunk);
    if (!dictionaryEncoded(spec)) builder = builder.setColumnDictionaryEnabled(spec.name, false);
    if (spec.skewed === true) builder = builder.setColumnEncoding(spec.name, parquet.Encoding.DELTA_LENGTH_BYTE_ARRAY);
  }
  const properties = builder.build();
  const ipc = ipcTemplatesOf(specs);
  let feed!: ReadableStreamDefaultController<parquet.RecordBatch>;
  const batches = new ReadableStream<parquet.RecordBatch>({ start: (controller) => void (feed = controller) }, { highWaterMark: 1 });
  const output = parquet.transformParquetStream(batches, properties).then(async (bytes: ReadableStream<Uint8Array>) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of bytes as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
    return chunks;
  });
  return {
    add: async (batch) => {
      const table = parquet.Table.fromIPCStream(ipc.stream(batch));
      feed.enqueue(table.recordBatch(0)!);
      table.free();
    },
    finish: async () => {
      feed.close();
      return output;
    },
  };
}

/**
 * The thread's IPC templates of a table's columns, kept from file to file: a new set per file had
 * apache-arrow write each file's first batch again (its flatbuffers code then compiled anew in
 * the middle of a run) for the same bytes.
 */
const ipcTemplates = new WeakMap<readonly ColumnSpec[], IpcTemplates>();

function ipcTemplatesOf(specs: readonly ColumnSpec[]): IpcTemplates {
  let templates = ipcTemplates.get(specs);
  if (templates === undefined) ipcTemplates.set(specs, (templates = new IpcTemplates((batch) => arrow.tableToIPC(new arrow.Table(arrowBatch(batch)), "stream"))));
  return templates;
}

/** The batch as an Arrow record batch, over the generator's own typed arrays (no copy). */
export function arrowBatch(batch: ColumnBatch): arrow.RecordBatch {
  const length = batch.rows;
  const fields = batch.specs.map((spec, i) => new arrow.Field(spec.name, arrowType(spec, i), false));
  const children = batch.columns.map((column, i) => arrowData(column, fields[i].type, length));
  const struct = arrow.makeData({ type: new arrow.Struct(fields), length, nullCount: 0, children });
  return new arrow.RecordBatch(new arrow.Schema(fields), struct);
}

/** The Arrow type of a column; `index` is the id of a category column's dictionary, the same in every batch. */
function arrowType(spec: ColumnSpec, index: number): arrow.DataType {
  switch (spec.kind) {
    case "text":
      return new arrow.Utf8();
    case "category":
      return new arrow.Dictionary(new arrow.Utf8(), new arrow.Int8(), index);
    case "int32":
      return new arrow.Int32();
    case "int64":
      return new arrow.Int64();
    case "float64":
      return new arrow.Float64();
    case "timestampMs":
      return new arrow.TimestampMillisecond("UTC");
    case "bool":
      return new arrow.Bool();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- makeData's overloads are per type; the switch picks the right one.
function arrowData(column: ColumnData, type: arrow.DataType, length: number): arrow.Data<any> {
  const nullCount = 0;
  switch (column.kind) {
    case "text":
      return arrow.makeData({ type: type as arrow.Utf8, length, nullCount, valueOffsets: column.text.offsets.subarray(0, length + 1), data: column.text.used() });
    case "category": {
      const dictionary = arrow.vectorFromArray([...column.values], new arrow.Utf8());
      const codes = new Int8Array(column.codes.buffer, column.codes.byteOffset, length);
      return arrow.makeData({ type: type as arrow.Dictionary<arrow.Utf8, arrow.Int8>, length, nullCount, data: codes, dictionary });
    }
    case "int32":
      return arrow.makeData({ type: type as arrow.Int32, length, nullCount, data: column.values.subarray(0, length) });
    case "int64":
      return arrow.makeData({ type: type as arrow.Int64, length, nullCount, data: column.values.asBigInt64(length) });
    case "timestampMs":
      return arrow.makeData({ type: type as arrow.TimestampMillisecond, length, nullCount, data: column.values.asBigInt64(length) });
    case "float64":
      return arrow.makeData({ type: type as arrow.Float64, length, nullCount, data: column.values.subarray(0, length) });
    case "bool":
      return arrow.makeData({ type: type as arrow.Bool, length, nullCount, data: column.bits.subarray(0, Math.ceil(length / 8)) });
  }
}

