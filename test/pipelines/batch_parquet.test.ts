/**
 * The batch ETL over the fraud generator's Parquet files: the same parse/validate rules as CSV and
 * JSON lines (bad rows, written by DuckDB, become dead letters naming the column), the seed-000
 * report, and the fraud report — every expected figure computed by DuckDB from the same files.
 * `gs://` inputs are read from the local GCS endpoint (`test/support/fake_gcs.ts`: there is no
 * official emulator).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { generate, GENERATOR_TASK_MODULE } from "../../ingest/generator/generate";
import { readParquetRows } from "../../io/files/parquet";
import { runBatch } from "../../pipelines/batch";
import { resolveInput } from "../../io/files/input_format";
import { directRunner } from "../../runners/direct";
import { startSharedPool } from "../../runners/direct/execution/worker_pool";
import { runPipeline } from "../../testing";
import { startThreadPool } from "../../threads/pool";
import { openDuckDb, sqlString, type DuckDb } from "../support/duckdb";
import { startFakeGcs } from "../support/fake_gcs";
import { SMALL_WORLD } from "../generator/small_world";
import { WORKER_COUNTS } from "../support/worker_counts";

describe("batch ETL over Parquet", function () {
  this.timeout(120_000);
  let duck: DuckDb;
  let dir: string;
  let files: string;

  before(async () => {
    duck = await openDuckDb();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "batch-parquet-"));
    const pool = startThreadPool({ threads: 2, modules: [GENERATOR_TASK_MODULE] });
    try {
      await generate({ world: { ...SMALL_WORLD, rows: 6_000 }, encoding: { format: "parquet", compression: "zstd" }, rowsPerFile: 2_500, out: dir, workers: 2, pool });
    } finally {
      await pool.destroy();
    }
    files = path.join(dir, "transactions-*.parquet");
  });
  after(() => {
    duck?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const workers of WORKER_COUNTS) it(`reads every row through parse and validate, and reports what DuckDB computes from the files [${workers} worker(s)]`, async () => {
    // A job this short starts no worker thread itself (runners/direct/execution/shipping.ts).
    if (workers > 1) await startSharedPool(workers - 1);
    const report = await runBatch([resolveInput(files)], directRunner({ workers }));
    const source = `read_parquet(${sqlString(files)})`;
    expect(report.valid).to.equal(6_000);
    expect(report.deadLetters).to.deep.equal({ count: 0, first: [] });

    const categories = await duck.rows(`SELECT category, count(*)::INTEGER AS count, sum(amount_paise)::BIGINT AS paise FROM ${source} GROUP BY 1 ORDER BY 1`);
    const byCategory = [...report.byCategory].sort((a, b) => (a.category < b.category ? -1 : 1));
    expect(byCategory.map((c) => [c.category, c.count])).to.deep.equal(categories.map((c) => [c.category, c.count]));
    byCategory.forEach((c, i) => expect(c.revenuePaise, c.category).to.equal(Number(categories[i].paise)));

    const rates = async (key: string) =>
      (await duck.rows(`SELECT ${key} AS key, count(*)::INTEGER AS transactions, (count(*) FILTER (WHERE is_fraud))::INTEGER AS fraud FROM ${source} GROUP BY 1 ORDER BY 1`)).map((r) => ({
        key: r.key,
        transactions: r.transactions,
        fraud: r.fraud,
        rate: (r.fraud as number) / (r.transactions as number),
      }));
    expect(report.fraud!.byChannel).to.deep.equal(await rates("channel"));
    expect(report.fraud!.byCategory).to.deep.equal(await rates("category"));
    expect(report.fraud!.byHour).to.deep.equal(await rates("lpad(hour(event_time AT TIME ZONE 'UTC')::VARCHAR, 2, '0')"));
    const devices = await duck.rows(`SELECT device_id AS "deviceId", count(*)::INTEGER AS fraud FROM ${source} WHERE is_fraud GROUP BY 1 ORDER BY fraud DESC, "deviceId" LIMIT 10`);
    expect(report.fraud!.topDevices).to.deep.equal(devices);
    expect(report.fraud!.topDevices[0].fraud).to.be.at.least(6, "a burst device leads");
  });

  it("turns rows that break the rules into dead letters naming the column, and keeps the rest", async () => {
    const bad = path.join(dir, "bad.parquet");
    // DuckDB rewrites the first file with three broken rows (file_row_number counts from 0).
    await duck.rows(`COPY (SELECT * EXCLUDE (file_row_number) REPLACE (
        CASE WHEN file_row_number = 2 THEN 0 ELSE quantity END AS quantity,
        CASE WHEN file_row_number = 4 THEN NULL ELSE customer_id END AS customer_id,
        CASE WHEN file_row_number = 6 THEN 200 ELSE discount_percent END AS discount_percent)
      FROM read_parquet(${sqlString(path.join(dir, "transactions-00000.parquet"))}, file_row_number = true) ORDER BY file_row_number)
      TO ${sqlString(bad)} (FORMAT parquet, COMPRESSION zstd)`);
    const report = await runBatch([resolveInput(bad)], directRunner());
    const letters = report.deadLetters.first.map((d) => [d.origin, d.field, d.step]).sort();
    expect(letters).to.deep.equal([
      [`${bad}:3`, "Quantity", "validateTransactions"],
      [`${bad}:5`, "User_ID", "validateTransactions"],
      [`${bad}:7`, "Discount (%)", "validateTransactions"],
    ]);
    expect(report.valid).to.equal(2_500 - 3);
  });

  it("reads gs:// patterns from GCS", async () => {
    const gcs = await startFakeGcs();
    try {
      for (const name of fs.readdirSync(dir).filter((n) => n.startsWith("transactions-"))) gcs.put("bucket", `fraud/${name}`, fs.readFileSync(path.join(dir, name)));
      gcs.put("bucket", "fraud/manifest.json", "{}");
      const rows = await runPipeline((root) => root.apply(readParquetRows("gs://bucket/fraud/transactions-*.parquet", { gcs: { apiEndpoint: gcs.endpoint, projectId: "p" } })));
      expect(rows).to.have.length(6_000);
      const [{ n }] = await duck.rows(`SELECT count(DISTINCT transaction_id) AS n FROM read_parquet(${sqlString(files)})`);
      expect(new Set(rows.map((r) => r.values.transaction_id)).size).to.equal(Number(n));
      expect(new Set(rows.map((r) => r.file))).to.deep.equal(new Set(["gs://bucket/fraud/transactions-00000.parquet", "gs://bucket/fraud/transactions-00001.parquet", "gs://bucket/fraud/transactions-00002.parquet"]));
    } finally {
      await gcs.close();
    }
  });
});
