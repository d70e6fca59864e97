/**
 * The generator's own Parquet writer (`ingest/generator/parquet/`), read back by two independent
 * readers: DuckDB (its own C++ reader: rows, types, codecs, row groups, statistics) and
 * `parquet-wasm` (the Rust `parquet` crate). Row groups that end inside batches, files of 0 and 1
 * rows, and integers whose deltas take more than 32 bits; zstd and uncompressed.
 */
import { expect } from "chai";
import * as arrow from "apache-arrow";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as parquet from "parquet-wasm/node";
import { allocateColumns, setBit, valueAt, type ColumnBatch, type ColumnSpec } from "../../ingest/generator/columns";
import { fileEncoder } from "../../ingest/generator/file_encoding";
import { packBits } from "../../ingest/generator/parquet/bit_packing";
import { ByteSink } from "../../ingest/generator/parquet/byte_sink";
import { ParquetFileWriter } from "../../ingest/generator/parquet/file_writer";
import type { PageCompression } from "../../ingest/generator/parquet/page_codec";
import { writeRleHybrid } from "../../ingest/generator/parquet/rle_hybrid";
import { TRANSACTION_SPECS } from "../../ingest/generator/schema";
import { tableBatch } from "../../ingest/generator/table_batches";
import { makeWorld } from "../../ingest/generator/world";
import { openDuckDb, sqlString, type DuckDb } from "../support/duckdb";
import { DUCKDB_TYPES, plain } from "./duckdb_values";
import { SMALL_WORLD } from "./small_world";


/** Rows of the transactions of the small world, in batches of `batchRows`. */
function* transactionBatches(rows: number, batchRows: number): Generator<ColumnBatch> {
  const world = makeWorld({ ...SMALL_WORLD, rows });
  const columns = allocateColumns(TRANSACTION_SPECS, batchRows);
  for (let first = 0; first < rows; first += batchRows) yield tableBatch(world, "transactions", first, Math.min(batchRows, rows - first), columns);
}

async function writeFile(file: string, specs: readonly ColumnSpec[], batches: Iterable<ColumnBatch>, compression: PageCompression, rowGroupRows: number): Promise<void> {
  const writer = new ParquetFileWriter(specs, compression, rowGroupRows);
  for (const batch of batches) await writer.add(batch);
  fs.writeFileSync(file, Buffer.concat(await writer.finish()));
}

/** A file's rows as `parquet-wasm` reads them, through Arrow. */
function wasmRead(file: string): arrow.Table {
  return arrow.tableFromIPC(parquet.readParquet(fs.readFileSync(file)).intoIPCStream());
}

describe("generator Parquet writer", function () {
  this.timeout(60_000);
  let duck: DuckDb;
  let dir: string;
  before(async () => {
    duck = await openDuckDb();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "parquet-writer-"));
  });
  after(() => {
    duck?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("packs bits and runs as Parquet's specification shows", () => {
    // The specification's example: 0..7 at 3 bits.
    const sink = new ByteSink();
    packBits(sink, [0, 1, 2, 3, 4, 5, 6, 7], 0, 8, 3);
    expect([...sink.bytes()]).to.deep.equal([0b10001000, 0b11000110, 0b11111010]);
    // Ten 1s (a run: header 10 << 1, value byte), then 0..7 bit-packed (one group: header 1 << 1 | 1).
    sink.reset();
    writeRleHybrid(sink, Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 2, 3, 4, 5, 6, 7]), 18, 3);
    expect([...sink.bytes()]).to.deep.equal([20, 1, 3, 0b10001000, 0b11000110, 0b11111010]);
  });

  for (const compression of ["zstd", "none"] as const) {
    it(`writes transactions (${compression}) that DuckDB reads as the CSV of the same rows, in row groups that end inside batches`, async () => {
      const rows = 2_500;
      const file = path.join(dir, `transactions-${compression}.parquet`);
      const csv = path.join(dir, `transactions-${compression}.csv`);
      await writeFile(file, TRANSACTION_SPECS, transactionBatches(rows, 700), compression, 1_000);
      const csvEncoder = fileEncoder({ format: "csv", compression: "none" }, TRANSACTION_SPECS);
      for (const batch of transactionBatches(rows, 700)) await csvEncoder.add(batch);
      fs.writeFileSync(csv, Buffer.concat(await csvEncoder.finish()));

      const types = await duck.rows(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`);
      expect(types.map((t) => `${t.column_name}:${t.column_type}`)).to.deep.equal(TRANSACTION_SPECS.map((c) => `${c.name}:${DUCKDB_TYPES[c.kind]}`));
      const columns = `{${TRANSACTION_SPECS.map((c) => `'${c.name}': '${DUCKDB_TYPES[c.kind]}'`).join(", ")}}`;
      const parquetRows = `SELECT * FROM read_parquet(${sqlString(file)})`;
      const csvRows = `SELECT * FROM read_csv(${sqlString(csv)}, header = true, columns = ${columns})`;
      const [diff] = await duck.rows(`SELECT (SELECT count(*) FROM read_parquet(${sqlString(file)})) AS n,
        (SELECT count(*) FROM (${parquetRows} EXCEPT ALL ${csvRows})) AS only_parquet, (SELECT count(*) FROM (${csvRows} EXCEPT ALL ${parquetRows})) AS only_csv`);
      expect(diff).to.deep.equal({ n: BigInt(rows), only_parquet: 0n, only_csv: 0n });

      // In file order, value for value, against the generator's columns.
      const read = await duck.rows(`SELECT * EXCLUDE (file_row_number) FROM read_parquet(${sqlString(file)}, file_row_number = true) ORDER BY file_row_number`);
      const [whole] = [...transactionBatches(rows, rows)];
      for (let k = 0; k < rows; k += 97) TRANSACTION_SPECS.forEach((spec, c) => expect(plain(read[k][spec.name]), `row ${k} ${spec.name}`).to.equal(valueAt(whole.columns[c], k)));

      const chunks = await duck.rows(`SELECT row_group_id, row_group_num_rows, path_in_schema, compression, stats_min_value, stats_max_value FROM parquet_metadata(${sqlString(file)}) ORDER BY row_group_id, column_id`);
      expect([...new Set(chunks.map((c) => c.compression))]).to.deep.equal([compression === "zstd" ? "ZSTD" : "UNCOMPRESSED"]);
      expect([...new Set(chunks.map((c) => `${c.row_group_id}:${c.row_group_num_rows}`))]).to.deep.equal(["0:1000", "1:1000", "2:500"]);

      // Statistics per column chunk: min and max of the integer and time columns, none for text and coordinates.
      for (const chunk of chunks) {
        const spec = TRANSACTION_SPECS.find((s) => s.name === chunk.path_in_schema)!;
        if (spec.kind === "int32" || spec.kind === "int64" || spec.kind === "timestampMs") {
          const [expected] = await duck.rows(`SELECT min(${spec.name}) AS lo, max(${spec.name}) AS hi FROM read_parquet(${sqlString(file)}, file_row_number = true) WHERE file_row_number // 1000 = ${chunk.row_group_id}`);
          const asStat = (value: unknown) => (value instanceof Date ? value.getTime() : String(value));
          const stat = (text: unknown) => (spec.kind === "timestampMs" ? new Date(String(text)).getTime() : String(text));
          expect(stat(chunk.stats_min_value), `${spec.name} min`).to.equal(asStat(expected.lo));
          expect(stat(chunk.stats_max_value), `${spec.name} max`).to.equal(asStat(expected.hi));
        } else expect([chunk.stats_min_value, chunk.stats_max_value], spec.name).to.deep.equal([null, null]);
      }

      const schema = await duck.rows(`SELECT name, type, repetition_type, converted_type, logical_type FROM parquet_schema(${sqlString(file)}) WHERE name IN ('transaction_id', 'category', 'event_time', 'amount_paise', 'quantity', 'is_fraud', 'latitude')`);
      expect(schema.map((s) => `${s.name} ${s.type} ${s.repetition_type} ${s.converted_type ?? "-"}`).sort()).to.deep.equal(
        ["amount_paise INT64 REQUIRED -", "category BYTE_ARRAY REQUIRED UTF8", "event_time INT64 REQUIRED TIMESTAMP_MILLIS", "is_fraud BOOLEAN REQUIRED -", "latitude DOUBLE REQUIRED -", "quantity INT32 REQUIRED -", "transaction_id BYTE_ARRAY REQUIRED UTF8"].sort(),
      );
      expect(String(schema.find((s) => s.name === "event_time")!.logical_type)).to.match(/TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS/);
      expect(String(schema.find((s) => s.name === "category")!.logical_type)).to.match(/StringType/);

      const table = wasmRead(file);
      expect(table.numRows).to.equal(rows);
      const time = table.getChild("event_time")!;
      expect(arrow.DataType.isTimestamp(time.type) && time.type.unit).to.equal(arrow.TimeUnit.MILLISECOND);
      expect((time.type as arrow.Timestamp).timezone).to.match(/^(UTC|\+00:00)$/);
      for (let k = 0; k < rows; k += 89) {
        const row = table.get(k)!.toJSON() as Record<string, unknown>;
        TRANSACTION_SPECS.forEach((spec, c) => expect(plain(row[spec.name]), `parquet-wasm: row ${k} ${spec.name}`).to.equal(valueAt(whole.columns[c], k)));
      }
    });
  }

  it("writes files of 0 and 1 rows that both readers read", async () => {
    for (const rows of [0, 1]) {
      const file = path.join(dir, `rows-${rows}.parquet`);
      await writeFile(file, TRANSACTION_SPECS, rows === 0 ? [] : transactionBatches(1, 1), "zstd", 1_000);
      const read = await duck.rows(`SELECT * FROM read_parquet(${sqlString(file)})`);
      expect(read, `${rows} rows`).to.have.length(rows);
      expect(wasmRead(file).numRows, `${rows} rows`).to.equal(rows);
      if (rows === 1) {
        const [whole] = [...transactionBatches(1, 1)];
        TRANSACTION_SPECS.forEach((spec, c) => expect(plain(read[0][spec.name]), spec.name).to.equal(valueAt(whole.columns[c], 0)));
      }
    }
  });

  it("writes integers and times whose deltas take more than 32 bits, and one-label categories", async () => {
    const specs: ColumnSpec[] = [
      { name: "big", kind: "int64", doc: "" },
      { name: "small", kind: "int32", doc: "" },
      { name: "moment", kind: "timestampMs", doc: "" },
      { name: "flag", kind: "bool", doc: "" },
      { name: "label", kind: "category", values: ["one"], doc: "" },
    ];
    const rows = 1_000;
    // Jumps of up to 2^50 both ways, the int32 extremes side by side, times from 1900 to 2200.
    const big = (k: number) => (k % 3 === 0 ? -1 : 1) * (((k * 2_654_435_761) % 2 ** 20) * 2 ** 30 + k) + 0;
    const small = (k: number) => (k % 2 === 0 ? -(2 ** 31) : 2 ** 31 - 1);
    const moment = (k: number) => Math.round(Date.UTC(1900, 0, 1) + (((k * 7_919) % rows) / rows) * (Date.UTC(2200, 0, 1) - Date.UTC(1900, 0, 1)));
    const expected = Array.from({ length: rows }, (_, k) => [big(k), small(k), moment(k)]);
    /** Rows `from` to `to` − 1 as a batch. */
    const slice = (from: number, to: number): ColumnBatch => {
      const columns = allocateColumns(specs, to - from);
      for (let k = from; k < to; k++) {
        const [b, s, m, f] = columns;
        if (b.kind === "int64") b.values.set(k - from, big(k));
        if (s.kind === "int32") s.values[k - from] = small(k);
        if (m.kind === "timestampMs") m.values.set(k - from, moment(k));
        if (f.kind === "bool" && k % 5 === 0) setBit(f.bits, k - from);
      }
      return { rows: to - from, specs, columns };
    };
    for (const compression of ["zstd", "none"] as const) {
      const file = path.join(dir, `wide-${compression}.parquet`);
      // Batches of 300 rows into row groups of 400: slices of one batch, bit offsets not on byte boundaries.
      const slices = [0, 300, 600, 900].map((from) => slice(from, Math.min(rows, from + 300)));
      await writeFile(file, specs, slices, compression, 400);
      const read = await duck.rows(`SELECT big, small, epoch_ms(moment) AS moment, flag, label FROM read_parquet(${sqlString(file)}, file_row_number = true) ORDER BY file_row_number`);
      expect(read.map((r) => [Number(r.big), r.small, Number(r.moment)]), compression).to.deep.equal(expected);
      expect(read.map((r) => r.flag)).to.deep.equal(expected.map((_, k) => k % 5 === 0));
      expect(new Set(read.map((r) => r.label))).to.deep.equal(new Set(["one"]));
      const table = wasmRead(file);
      expect(Array.from(table.getChild("big")!.toArray() as BigInt64Array, Number), `parquet-wasm ${compression}`).to.deep.equal(expected.map((e) => e[0]));
      expect(Array.from(table.getChild("moment")!.toArray() as BigInt64Array, Number)).to.deep.equal(expected.map((e) => e[2]));
      const [stats] = await duck.rows(`SELECT stats_min_value AS lo, stats_max_value AS hi FROM parquet_metadata(${sqlString(file)}) WHERE path_in_schema = 'big' AND row_group_id = 0`);
      const firstGroup = expected.slice(0, 400).map((e) => e[0]);
      expect([Number(stats.lo), Number(stats.hi)]).to.deep.equal([Math.min(...firstGroup), Math.max(...firstGroup)]);
    }
  });

  it("still writes snappy through parquet-wasm", async () => {
    const encoder = fileEncoder({ format: "parquet", compression: "snappy" }, TRANSACTION_SPECS);
    for (const batch of transactionBatches(1_500, 700)) await encoder.add(batch);
    const file = path.join(dir, "snappy.parquet");
    fs.writeFileSync(file, Buffer.concat(await encoder.finish()));
    const codecs = await duck.rows(`SELECT DISTINCT compression FROM parquet_metadata(${sqlString(file)})`);
    expect(codecs).to.deep.equal([{ compression: "SNAPPY" }]);
    const [{ created_by }] = await duck.rows(`SELECT created_by FROM parquet_file_metadata(${sqlString(file)})`);
    expect(String(created_by)).to.match(/parquet-rs/);
    const [{ n }] = await duck.rows(`SELECT count(*) AS n FROM read_parquet(${sqlString(file)})`);
    expect(n).to.equal(1_500n);
  });
});
