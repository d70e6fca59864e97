/**
 * The batch pipeline (pipelines/batch.ts) with its stages in SDK worker processes: its report is
 * collected through `io/in_process.ts` by steps that run in the workers, and travels back with each
 * bundle's response (execution/fn_api/outbox.ts); its files are written by the workers. Report and
 * files must be what the in-process run gives, with one and with two workers (in bundles small
 * enough to spread over both). CSV and JSON lines together, so the job has several stages; and the
 * fraud generator's Parquet files (a few thousand rows), whose run adds the fraud report.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runBatch, type BatchReport } from "../../pipelines/batch";
import { resolveInput } from "../../io/files/input_format";
import { directRunner, type DirectRunnerOptions } from "../../runners/direct";
import { SdkWorkerPool } from "../../runners/direct/execution/fn_api/sdk_worker_pool";
import { generate, GENERATOR_TASK_MODULE } from "../../ingest/generator/generate";
import { startThreadPool } from "../../threads/pool";
import type { ResolvedInput } from "../../io/files/input_format";
import { SMALL_WORLD } from "../generator/small_world";

const SAMPLE = path.join(__dirname, "../../fixtures/sample");
const INPUTS = [resolveInput(path.join(SAMPLE, "transactions.csv")), resolveInput(path.join(SAMPLE, "transactions.jsonl"))];

/** A dead letter's processing time (`timeMs`) differs from run to run; everything else must not. */
const withoutTime = (json: string) => json.replace(/"timeMs":\d+/g, `"timeMs":0`);

/** Every line written under `dir`, per file, in sorted order (workers may write in any order). */
function written(dir: string): Record<string, string[]> {
  const files: Record<string, string[]> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    files[name] = fs.readFileSync(path.join(dir, name), "utf8").split("\n").filter((l) => l !== "").map(withoutTime).sort();
  }
  return files;
}

async function batchRun(options: DirectRunnerOptions, inputs: ResolvedInput[] = INPUTS): Promise<{ report: Omit<BatchReport, "seconds">; files: Record<string, string[]> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fn-api-batch-"));
  try {
    const { seconds, ...report } = await runBatch(inputs, directRunner(options), dir);
    expect(seconds).to.be.above(0);
    return { report: JSON.parse(withoutTime(JSON.stringify(report))), files: written(dir) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("environment=process: the batch pipeline in SDK worker processes", function () {
  this.timeout(300_000);
  let pool: SdkWorkerPool;
  before(() => {
    pool = new SdkWorkerPool();
  });
  after(() => pool.stop());

  it("gives the in-process report and files, with 1 and 2 workers", async () => {
    const reference = await batchRun({});
    expect(reference.report.valid, "the sample has valid rows").to.be.above(1000);
    expect(reference.report.deadLetters.count, "the sample has dead letters").to.be.above(0);
    expect(reference.report.topChannels, "the report was collected").to.not.deep.equal([]);
    expect(Object.keys(reference.files).length, "files were written").to.be.above(3);
    for (const workers of [1, 2]) {
      const actual = await batchRun({ environment: "process", workers, bundleSize: workers === 2 ? 300 : undefined, sdkWorkerPool: pool });
      expect(actual.report, `the report with ${workers} worker(s)`).to.deep.equal(reference.report);
      expect(actual.files, `the files with ${workers} worker(s)`).to.deep.equal(reference.files);
    }
  });

  it("over the fraud generator's Parquet files: the in-process report, fraud report and files, with 1 and 2 workers", async () => {
    const parquetDir = fs.mkdtempSync(path.join(os.tmpdir(), "fn-api-parquet-"));
    try {
      const threads = startThreadPool({ threads: 2, modules: [GENERATOR_TASK_MODULE] });
      try {
        await generate({ world: SMALL_WORLD, encoding: { format: "parquet", compression: "zstd" }, rowsPerFile: 1_000, out: parquetDir, workers: 2, pool: threads });
      } finally {
        await threads.destroy();
      }
      const inputs = [resolveInput(path.join(parquetDir, "transactions-*.parquet"))];
      const reference = await batchRun({}, inputs);
      expect(reference.report.valid, "every generated row is valid").to.equal(SMALL_WORLD.rows);
      expect(reference.report.fraud?.topDevices, "the fraud report was collected").to.not.deep.equal([]);
      expect(reference.report.fraud?.byChannel.some((c) => c.fraud > 0), "the fraud report counts fraud").to.equal(true);
      expect(Object.keys(reference.files).length, "files were written").to.be.above(2);
      for (const workers of [1, 2]) {
        const actual = await batchRun({ environment: "process", workers, bundleSize: workers === 2 ? 300 : undefined, sdkWorkerPool: pool }, inputs);
        expect(actual.report, `the report with ${workers} worker(s)`).to.deep.equal(reference.report);
        expect(actual.files, `the files with ${workers} worker(s)`).to.deep.equal(reference.files);
      }
    } finally {
      fs.rmSync(parquetDir, { recursive: true, force: true });
    }
  });
});
