/**
 * The fraud patterns are detectable: the rules the generator's README documents, written here as
 * SQL over the files (DuckDB, with its own great-circle formula), find the labelled rows and
 * (almost) nothing else.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { generate, startGeneratorPool } from "../../ingest/generator/generate";
import type { ThreadPool } from "../../threads/pool";
import { openDuckDb, sqlString, type DuckDb } from "../support/duckdb";
import { SMALL_WORLD } from "./small_world";

describe("fraud patterns in the generated transactions", function () {
  this.timeout(120_000);
  let pool: ThreadPool;
  let duck: DuckDb;
  let dir: string;

  before(async () => {
    pool = startGeneratorPool(2);
    duck = await openDuckDb();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fraud-patterns-"));
    const world = { ...SMALL_WORLD, rows: 20_000, customers: 2_000, devices: 3_000 };
    await generate({ world, encoding: { format: "parquet", compression: "zstd" }, rowsPerFile: 5_000, out: dir, workers: 2, pool });
    await duck.rows(`CREATE TABLE t AS SELECT * FROM read_parquet(${sqlString(path.join(dir, "transactions-*.parquet"))})`);
    await duck.rows(`CREATE TABLE c AS SELECT * FROM read_parquet(${sqlString(path.join(dir, "customers-*.parquet"))})`);
  });
  after(async () => {
    await pool?.destroy();
    duck?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Recall (labelled rows flagged) and precision (flagged rows labelled) of a rule. */
  const score = async (flaggedSql: string, pattern: string) => {
    const [r] = await duck.rows(`WITH flagged AS (${flaggedSql})
      SELECT (SELECT count(*) FROM t WHERE fraud_pattern = '${pattern}') AS labelled,
             (SELECT count(*) FROM t JOIN flagged USING (transaction_id) WHERE fraud_pattern = '${pattern}') AS found,
             (SELECT count(*) FROM flagged) AS flagged,
             (SELECT count(*) FROM t JOIN flagged USING (transaction_id) WHERE NOT is_fraud) AS legitimate_flagged`);
    return { labelled: Number(r.labelled), found: Number(r.found), flagged: Number(r.flagged), legitimateFlagged: Number(r.legitimate_flagged) };
  };

  it("labels about the share of fraud asked for, with a pattern exactly when fraudulent", async () => {
    const [r] = await duck.rows(`SELECT count(*) FILTER (WHERE is_fraud) / count(*) AS share, count(*) FILTER (WHERE is_fraud <> (fraud_pattern <> 'none')) AS inconsistent,
      count(DISTINCT fraud_pattern) AS patterns FROM t`);
    expect(r.share).to.be.within(0.035, 0.065);
    expect(r.inconsistent).to.equal(0n);
    expect(r.patterns).to.equal(4n);
  });

  it("device bursts: 5 or more transactions from one device within 10 minutes", async () => {
    const s = await score(
      `SELECT a.transaction_id FROM t a JOIN t b ON a.device_id = b.device_id AND b.event_time BETWEEN a.event_time - INTERVAL 10 MINUTE AND a.event_time + INTERVAL 10 MINUTE
       GROUP BY a.transaction_id HAVING count(*) >= 5`,
      "device_burst",
    );
    expect(s.labelled).to.be.greaterThan(50);
    expect(s.found).to.equal(s.labelled);
    expect(s.legitimateFlagged).to.be.at.most(s.flagged * 0.02);
  });

  it("impossible travel: a customer's two transactions implying more than 900 km/h", async () => {
    const s = await score(
      `SELECT transaction_id FROM (
         SELECT transaction_id, latitude, longitude, event_time,
                lag(latitude) OVER w AS lat0, lag(longitude) OVER w AS lon0, lag(event_time) OVER w AS t0
         FROM t WINDOW w AS (PARTITION BY customer_id ORDER BY event_time))
       WHERE t0 IS NOT NULL AND 2 * 6371 * asin(sqrt(sin(radians(latitude - lat0) / 2) ^ 2 + cos(radians(lat0)) * cos(radians(latitude)) * sin(radians(longitude - lon0) / 2) ^ 2))
             / greatest(epoch(event_time - t0) / 3600, 1 / 3600) > 900`,
      "impossible_travel",
    );
    expect(s.labelled).to.be.greaterThan(20);
    expect(s.found).to.be.at.least(s.labelled * 0.95);
    expect(s.legitimateFlagged).to.be.at.most(s.flagged * 0.1);
  });

  it("amount anomalies: more than 6 times the customer's typical amount", async () => {
    const s = await score(`SELECT transaction_id FROM t JOIN c USING (customer_id) WHERE amount_paise > 6 * typical_amount_paise`, "amount_anomaly");
    expect(s.labelled).to.be.greaterThan(20);
    expect(s.found).to.equal(s.labelled);
    expect(s.legitimateFlagged).to.equal(0);
  });
});
