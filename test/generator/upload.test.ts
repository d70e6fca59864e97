/**
 * The generator uploading to GCS from the main thread. There is no official GCS emulator: the
 * endpoint is `test/support/fake_gcs.ts`, a local server speaking the JSON API calls the official
 * client makes, resumable upload sessions included, with faults injected into chunks.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { generate, type GenerateOptions, startGeneratorPool } from "../../ingest/generator/generate";
import type { ThreadPool } from "../../threads/pool";
import { startFakeGcs, type FakeGcs } from "../support/fake_gcs";
import { SMALL_WORLD } from "./small_world";

/** 256 KiB, the smallest chunk a resumable upload may use: the files below take several. */
const CHUNK = 256 * 1024;

describe("fraud-transaction generator → GCS", function () {
  this.timeout(120_000);
  let pool: ThreadPool;
  let gcs: FakeGcs;
  let dir: string;

  before(() => {
    pool = startGeneratorPool(2);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "generator-gcs-"));
  });
  beforeEach(async () => {
    gcs = await startFakeGcs();
  });
  afterEach(async () => {
    await gcs?.close();
  });
  after(async () => {
    await pool?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // ~1 MB files of 20,000 rows: four chunks each.
  const options = (out: string, attempts = 3, chunkRetries = 2): GenerateOptions => ({
    world: { ...SMALL_WORLD, rows: 40_000 },
    encoding: { format: "parquet", compression: "zstd" },
    rowsPerFile: 20_000,
    out,
    workers: 2,
    pool,
    upload: { apiEndpoint: gcs.endpoint, projectId: "p", chunkBytes: CHUNK, attempts, chunkRetries },
  });

  it("resumes an upload cut off in mid-stream: the objects are the bytes a local run writes", async () => {
    let cut = false;
    gcs.uploadFault = (name, offset) => {
      if (cut || name !== "runs/a/transactions-00001.parquet" || offset < 2 * CHUNK) return undefined;
      cut = true;
      return "reset";
    };
    const uploaded = await generate(options("gs://bucket/runs/a"));
    const local = await generate({ ...options(path.join(dir, "local")) });

    expect(gcs.resumable.faults).to.equal(1);
    expect(gcs.resumable.statusQueries, "the client asked the session what it held").to.be.at.least(1);
    expect(uploaded.failed).to.deep.equal([]);
    expect(uploaded.files).to.deep.equal(local.files);
    for (const file of local.files) {
      expect(gcs.get("bucket", `runs/a/${file.name}`)?.equals(fs.readFileSync(path.join(dir, "local", file.name))), file.name).to.equal(true);
    }
    const manifest = JSON.parse(gcs.get("bucket", "runs/a/manifest.json")!.toString("utf8"));
    expect(manifest.files).to.deep.equal(local.files);
    expect(gcs.unhandled).to.deep.equal([]);
  });

  it("retries an upload that keeps failing, then reports it by name and leaves no object under that name", async () => {
    gcs.uploadFault = (name) => (name === "runs/b/transactions-00000.parquet" ? 503 : undefined);
    const manifest = await generate(options("gs://bucket/runs/b", 2, 1));

    expect(manifest.failed.map((f) => f.name)).to.deep.equal(["gs://bucket/runs/b/transactions-00000.parquet"]);
    expect(manifest.failed[0].error).to.match(/uploading \(2 attempts\) 'gs:\/\/bucket\/runs\/b\/transactions-00000.parquet' failed/);
    expect(gcs.resumable.created, "a new session per attempt").to.be.at.least(2);
    expect(gcs.names("bucket")).to.deep.equal(["runs/b/customers-00000.parquet", "runs/b/devices-00000.parquet", "runs/b/manifest.json", "runs/b/transactions-00001.parquet"]);
    expect(manifest.files.map((f) => f.name)).to.not.include("transactions-00000.parquet");
  });
});
