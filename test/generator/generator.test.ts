/**
 * The fraud-transaction generator end to end, on small runs: files read back by DuckDB (an
 * independent Parquet reader) with the rows, types and codec meant; the same bytes whatever the
 * number of worker threads; the manifest's checksums against the files on disk.
 */
import { expect } from "chai";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { generate, planFiles, rowsForSize, type GenerateOptions, type Manifest, startGeneratorPool } from "../../ingest/generator/generate";
import { valueAt } from "../../ingest/generator/columns";
import { transactionBatch } from "../../ingest/generator/table_batches";
import { makeWorld } from "../../ingest/generator/world";
import type { ThreadPool } from "../../threads/pool";
import { openDuckDb, sqlString, type DuckDb } from "../support/duckdb";
import { DUCKDB_TYPES, plain } from "./duckdb_values";
import { SMALL_WORLD } from "./small_world";


describe("fraud-transaction generator", function () {
  this.timeout(120_000);
  let oneThread: ThreadPool;
  let twoThreads: ThreadPool;
  let duck: DuckDb;
  let dir: string;
  let readback: Manifest;

  before(async () => {
    oneThread = startGeneratorPool(1);
    twoThreads = startGeneratorPool(2);
    duck = await openDuckDb();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "generator-"));
    readback = await run("readback", twoThreads);
  });
  after(async () => {
    await Promise.all([oneThread?.destroy(), twoThreads?.destroy()]);
    duck?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (name: string, pool: ThreadPool, overrides: Partial<GenerateOptions> = {}): Promise<Manifest> =>
    generate({ world: SMALL_WORLD, encoding: { format: "parquet", compression: "zstd" }, rowsPerFile: 1_000, out: path.join(dir, name), workers: pool.threads, pool, ...overrides });

  it("writes Parquet that DuckDB reads back with the rows, types and zstd codec meant", async () => {
    const manifest = readback;
    const files = path.join(dir, "readback", "transactions-*.parquet");
    expect(manifest.failed).to.deep.equal([]);
    expect(manifest.files.map((f) => f.name)).to.deep.equal(["customers-00000.parquet", "devices-00000.parquet", "transactions-00000.parquet", "transactions-00001.parquet", "transactions-00002.parquet"]);

    const types = await duck.rows(`DESCRIBE SELECT * FROM read_parquet(${sqlString(files)})`);
    expect(types.map((t) => `${t.column_name}:${t.column_type}`)).to.deep.equal(manifest.schema.transactions.map((c) => `${c.name}:${DUCKDB_TYPES[c.kind]}`));
    const codecs = await duck.rows(`SELECT DISTINCT compression FROM parquet_metadata(${sqlString(path.join(dir, "readback", "*.parquet"))})`);
    expect(codecs).to.deep.equal([{ compression: "ZSTD" }]);

    const read = await duck.rows(`SELECT * EXCLUDE (filename, file_row_number) FROM read_parquet(${sqlString(files)}, filename = true, file_row_number = true) ORDER BY filename, file_row_number`);
    const batch = transactionBatch(makeWorld(SMALL_WORLD), 0, SMALL_WORLD.rows);
    expect(read).to.have.length(SMALL_WORLD.rows);
    for (let k = 0; k < batch.rows; k++) {
      const row = read[k];
      batch.specs.forEach((spec, c) => {
        expect(plain(row[spec.name]), `row ${k} ${spec.name}`).to.equal(valueAt(batch.columns[c], k));
      });
    }
  });

  it("writes customers and devices that every transaction refers to, and the counts asked for", async () => {
    const dirOf = path.join(dir, "readback");
    const table = (name: string) => `read_parquet(${sqlString(path.join(dirOf, `${name}-*.parquet`))})`;
    const [counts] = await duck.rows(`SELECT (SELECT count(*) FROM ${table("customers")}) AS customers, (SELECT count(*) FROM ${table("devices")}) AS devices,
      (SELECT count(*) FROM ${table("transactions")} t ANTI JOIN ${table("customers")} c USING (customer_id)) AS unknown_customers,
      (SELECT count(*) FROM ${table("transactions")} t ANTI JOIN ${table("devices")} d USING (device_id)) AS unknown_devices,
      (SELECT count(DISTINCT transaction_id) FROM ${table("transactions")}) AS distinct_ids`);
    expect(counts).to.deep.equal({ customers: 200n, devices: 300n, unknown_customers: 0n, unknown_devices: 0n, distinct_ids: 3000n });
  });

  it("lists every file in the manifest with its rows, size and SHA-256", async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "readback", "manifest.json"), "utf8")) as Manifest;
    for (const file of manifest.files) {
      const bytes = fs.readFileSync(path.join(dir, "readback", file.name));
      expect(file.bytes, file.name).to.equal(bytes.length);
      expect(file.sha256, file.name).to.equal(crypto.createHash("sha256").update(bytes).digest("hex"));
      const [{ n }] = await duck.rows(`SELECT count(*) AS n FROM read_parquet(${sqlString(path.join(dir, "readback", file.name))})`);
      expect(Number(n), file.name).to.equal(file.rows);
    }
    expect(manifest.totals.transactions).to.deep.equal({ files: 3, rows: 3000, bytes: manifest.files.filter((f) => f.table === "transactions").reduce((s, f) => s + f.bytes, 0) });
    expect(fs.readdirSync(path.join(dir, "readback")).filter((name) => name.startsWith("."))).to.deep.equal([], "no temporary file is left");
  });

  it("makes the same bytes with one worker thread as with two, and the same rows whatever the file size", async () => {
    const one = await run("one", oneThread);
    const two = await run("two", twoThreads);
    expect(one.files).to.deep.equal(two.files);
    const other = await run("other-split", twoThreads, { rowsPerFile: 700 });
    expect(other.files.filter((f) => f.table === "transactions")).to.have.length(5);
    const a = sqlString(path.join(dir, "one", "transactions-*.parquet"));
    const b = sqlString(path.join(dir, "other-split", "transactions-*.parquet"));
    const [diff] = await duck.rows(`SELECT (SELECT count(*) FROM (SELECT * FROM read_parquet(${a}) EXCEPT ALL SELECT * FROM read_parquet(${b}))) AS only_a,
      (SELECT count(*) FROM (SELECT * FROM read_parquet(${b}) EXCEPT ALL SELECT * FROM read_parquet(${a}))) AS only_b`);
    expect(diff).to.deep.equal({ only_a: 0n, only_b: 0n });
  });

  it("writes the same rows as CSV and JSON lines", async () => {
    await run("csv", twoThreads, { encoding: { format: "csv", compression: "none" } });
    await run("jsonl", twoThreads, { encoding: { format: "jsonl", compression: "none" } });
    const summary = async (from: string) =>
      (await duck.rows(`SELECT count(*) AS n, sum(amount_paise)::BIGINT AS paise, count(*) FILTER (WHERE is_fraud) AS fraud, count(DISTINCT transaction_id) AS ids, max(epoch_ms(event_time::TIMESTAMPTZ)) AS last FROM ${from}`))[0];
    const parquet = await summary(`read_parquet(${sqlString(path.join(dir, "one", "transactions-*.parquet"))})`);
    expect(await summary(`read_csv(${sqlString(path.join(dir, "csv", "transactions-*.csv"))}, header = true)`)).to.deep.equal(parquet);
    expect(await summary(`read_json(${sqlString(path.join(dir, "jsonl", "transactions-*.jsonl"))}, format = 'newline_delimited')`)).to.deep.equal(parquet);
  });

  it("plans the files of a run from the row counts, and turns --size into rows by measuring a sample", async () => {
    const names = planFiles({ world: { ...SMALL_WORLD, rows: 2_500 }, encoding: { format: "parquet", compression: "zstd" }, rowsPerFile: 1_000 }).map((f) => [f.name, f.task.first, f.task.rows]);
    expect(names).to.deep.equal([
      ["transactions-00000.parquet", 0, 1000],
      ["transactions-00001.parquet", 1000, 1000],
      ["transactions-00002.parquet", 2000, 500],
      ["customers-00000.parquet", 0, 200],
      ["devices-00000.parquet", 0, 300],
    ]);
    const options = { world: SMALL_WORLD, encoding: { format: "parquet", compression: "zstd" } as const, rowsPerFile: 4_000 };
    const rows = await rowsForSize(options, 400_000, twoThreads);
    expect(await rowsForSize(options, 400_000, oneThread)).to.equal(rows);
    const made = await run("sized", twoThreads, { world: { ...SMALL_WORLD, rows }, rowsPerFile: 4_000 });
    expect(made.totals.transactions.bytes).to.be.within(300_000, 500_000);
  });
});
