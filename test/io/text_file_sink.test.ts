/**
 * Writing sharded text files, locally and to GCS. GCS is a fake (test/support/fake_gcs.ts, a local
 * HTTP server speaking the JSON API calls the client makes): there is no official GCS emulator.
 * The client reaches it through `gcs: { apiEndpoint }` and sends it no credentials.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as v8 from "v8";
import * as vm from "vm";
import * as beam from "apache-beam"; // first: the SDK's modules have an import cycle that only resolves from its root
import { directRunner as sdkDirectRunner } from "apache-beam/runners/direct_runner";
import { directRunner } from "../../runners/direct";
import { createOutputFile } from "../../io/files/output_files";
import { writeTextFiles, shardFileName, shardsOfCopy } from "../../io/files/text_file_sink";
import { startSharedPool } from "../../runners/direct/execution/worker_pool";
import { readTextLines } from "../../io/files/text_files";
import { fromArray, runPipeline } from "../../testing";
import type { TextLine } from "../../transforms/text_line";
import { startFakeGcs, type FakeGcs } from "../support/fake_gcs";

const CSV_COLUMNS = ["id", "name", "note"];

/** Elements reach the sink in many bundles: a shuffle, then bundles of `bundleSize` groups. */
function inManyBundles<T>(elements: readonly T[]): beam.PTransform<beam.Root, beam.PCollection<T>> {
  return beam.withName("inManyBundles", (root: beam.Root) =>
    root
      .apply(fromArray(elements.map((value, i) => ({ key: i % 20, value }))))
      .apply(beam.groupBy((kv: { key: number; value: T }) => kv.key))
      .flatMap((group: { key: number; value: Iterable<{ key: number; value: T }> }) => [...group.value].map((kv) => kv.value)),
  );
}

describe("io: writeTextFiles", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "text-sink-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const readShards = (names: string[]) => names.flatMap((name) => fs.readFileSync(name, "utf8").split("\n").slice(0, -1));

  // `copies`: how many copies of the write step may run at once (our runner: one per thread).
  for (const { name, runner, copies } of [
    { name: "our direct runner at 1 worker", runner: () => directRunner({ workers: 1 }), copies: 1 },
    { name: "our direct runner at 2 workers", runner: () => directRunner({ workers: 2 }), copies: 2 },
    { name: "the SDK's direct runner", runner: () => sdkDirectRunner(), copies: 1 },
  ]) {
    it(`writes JSON lines into every shard, named prefix-SSSSS-of-NNNNN.suffix, on ${name}`, async () => {
      const elements = Array.from({ length: 200 }, (_, i) => ({ n: i, text: `row ${i}` }));
      const input = path.join(dir, "input.jsonl");
      fs.writeFileSync(input, elements.map((e) => JSON.stringify(e) + "\n").join(""));
      // A file source, not fromArray: the SDK's runner drops the promise of a source's first step,
      // and only our reader waits for its own emissions in finishBundle (see io/files/text_files.ts).
      const written = await runPipeline<beam.PCollection<string>>(
        (root) =>
          root
            .apply(readTextLines(input))
            .map((l: TextLine) => JSON.parse(l.line))
            .apply(writeTextFiles({ prefix: `${dir}/out`, suffix: ".jsonl", shards: 4, format: "jsonl", batchSize: 30, maxInFlight: 2 })),
        { runner: runner() },
      );
      fs.rmSync(input);
      const expected = [0, 1, 2, 3].map((s) => shardFileName(`${dir}/out`, s, 4, ".jsonl"));
      expect(written.sort()).to.deep.equal(expected);
      expect(expected[3]).to.equal(`${dir}/out-00003-of-00004.jsonl`);
      expect(fs.readdirSync(dir).sort()).to.deep.equal(expected.map((f) => path.basename(f)));
      const shardLines = expected.map((f) => readShards([f]));
      expect(shardLines.flat().map((l) => JSON.parse(l)).sort((a, b) => a.n - b.n)).to.deep.equal(elements);
      const sizes = shardLines.map((lines) => lines.length);
      if (copies === 1) {
        // Round robin: shards differ by one element at most.
        expect(Math.max(...sizes) - Math.min(...sizes)).to.be.at.most(1);
      } else {
        // Each copy goes round robin over the shards it owns (≡ its index mod copies), and how many
        // elements each copy gets depends on which thread took which part: a copy that got them all
        // leaves the other's shards empty. So no shard holds more than its share of all of them.
        expect(Math.max(...sizes)).to.be.at.most(Math.ceil(elements.length / (expected.length / copies)));
      }
    });
  }

  it("writes CSV with its header once per file when many bundles write to each shard", async () => {
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: i, name: `name ${i}`, note: i % 7 === 0 ? 'says "hi", twice\nover lines' : "" }));
    const written = await runPipeline<beam.PCollection<string>>(
      (root) => root.apply(inManyBundles(rows)).apply(writeTextFiles({ prefix: `${dir}/rows`, suffix: ".csv", shards: 3, format: "csv", header: CSV_COLUMNS, batchSize: 16 })),
      { runner: directRunner({ bundleSize: 3 }) },
    );
    expect(written).to.have.length(3);
    let records = 0;
    for (const file of written) {
      const text = fs.readFileSync(file, "utf8");
      expect(text.startsWith("id,name,note\n")).to.equal(true);
      expect(text.split("id,name,note\n")).to.have.length(2);
      records += text.split("\n").filter((l) => /^\d+,name /.test(l)).length;
    }
    expect(records).to.equal(rows.length);
    expect(fs.readFileSync(written.sort()[0], "utf8") + fs.readFileSync(written[1], "utf8") + fs.readFileSync(written[2], "utf8")).to.include(
      '7,name 7,"says ""hi"", twice\nover lines"\n',
    );
    expect(fs.readdirSync(dir).filter((f) => f.startsWith("."))).to.deep.equal([], "temp directory left behind");
  });

  it("gives every shard a file, header only when no element reached it", async () => {
    const written = await runPipeline<beam.PCollection<string>>((root) =>
      root.apply(fromArray([["a", 1]])).apply(writeTextFiles({ prefix: `${dir}/few`, suffix: ".csv", shards: 3, format: "csv", header: ["letter", "number"] })),
    );
    const contents = written.sort().map((f) => fs.readFileSync(f, "utf8"));
    expect(contents.sort()).to.deep.equal(["letter,number\n", "letter,number\n", "letter,number\na,1\n"]);
  });

  // Seen in a parallel test run: a shard's finalizer removed the emptied temp folder between another
  // shard's making it and opening its empty file there (ENOENT). Here the removal comes exactly then.
  it("writes a shard's file although its folder is removed between its making and the file's open", async () => {
    const folder = path.join(dir, ".temp-few-0123456789ab");
    const file = path.join(folder, "empty-00002");
    const open = fs.promises.open;
    let removed = false;
    fs.promises.open = ((...args: Parameters<typeof open>) => {
      if (!removed && args[0] === file) {
        removed = true;
        fs.rmdirSync(folder);
      }
      return open.apply(fs.promises, args);
    }) as typeof open;
    try {
      const output = createOutputFile(file, {});
      await output.append("letter,number\n");
      await output.close();
    } finally {
      fs.promises.open = open;
    }
    expect(removed, "the folder was removed before the open").to.equal(true);
    expect(fs.readFileSync(file, "utf8")).to.equal("letter,number\n");
  });

  it("leaves no file under a final name when the job fails half way", async () => {
    const elements: unknown[] = Array.from({ length: 300 }, (_, i) => [i, "ok"]);
    elements.push({ not: "a row" }); // an object, and no columns to write it by
    const run = runPipeline((root) => root.apply(fromArray(elements)).apply(writeTextFiles({ prefix: `${dir}/broken`, suffix: ".csv", format: "csv", batchSize: 50 })));
    await run.then(
      () => expect.fail("should have failed"),
      (e: Error) => expect(e.message).to.include("writeTempFiles").and.include("objects need the columns"),
    );
    const entries = fs.readdirSync(dir);
    expect(entries.filter((f) => !f.startsWith("."))).to.deep.equal([]);
    // What was written before the failure is in the temp directory only.
    expect(entries).to.have.length(1);
    expect(entries[0]).to.match(/^\.temp-broken-[0-9a-f]{12}$/);
    // Nothing of the cut-off bundle is left open for the garbage collector to close (DEP0137).
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => warnings.push(`${warning.code}: ${warning.message}`);
    process.on("warning", onWarning);
    try {
      // A FileHandle's collection comes a GC or two after it is unreachable, its warning after that.
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w.includes("garbage collection"))).to.deep.equal([]);
  });

  it("fails the job promptly, naming the folder, where no folder can be made (Node's recursive mkdir loops there)", async () => {
    const failure = await runPipeline(
      (root) => root.apply(fromArray(Array.from({ length: 100 }, (_, n) => ({ n })))).apply(writeTextFiles({ prefix: "/proc/no-such/out", format: "jsonl", batchSize: 10, maxInFlight: 2 })),
      { runner: directRunner() },
    ).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).to.match(/writeTextFiles\(\/proc\/no-such\/out\).*ENOENT.*mkdir '\/proc\/no-such'/);
  });

  // Each copy of the write step (one per thread taking parts) writes the shards ≡ its index, into one
  // temp file per shard for the whole job; copies beyond the shards share one, appended at finalize.
  for (const workers of [1, 2, 4]) {
    it(`writes every element exactly once, the header once per shard, no temp left, at ${workers} worker(s)${workers > 1 ? ", the parts on every thread" : ""}`, async () => {
      const rows = Array.from({ length: 3000 }, (_, i) => ({ id: i, name: `name ${i}`, note: i % 11 === 0 ? "a, b" : "" }));
      if (workers > 1) await startSharedPool(workers - 1);
      const written = await runPipeline<beam.PCollection<string>>(
        (root) => root.apply(inManyBundles(rows)).apply(writeTextFiles({ prefix: `${dir}/rows`, suffix: ".csv", shards: 3, format: "csv", header: CSV_COLUMNS, batchSize: 64 })),
        // One bundle of the 20 groups, cut into parts for every thread.
        { runner: directRunner({ workers, bundleSize: 20 }) },
      );
      const expected = [0, 1, 2].map((s) => shardFileName(`${dir}/rows`, s, 3, ".csv"));
      expect(written.sort()).to.deep.equal(expected);
      expect(fs.readdirSync(dir).sort()).to.deep.equal(expected.map((f) => path.basename(f)), "temp files left behind");
      const lines = expected.flatMap((file) => {
        const [header, ...records] = fs.readFileSync(file, "utf8").split("\n").slice(0, -1);
        expect(header).to.equal("id,name,note");
        return records;
      });
      const expectedLines = rows.map((r) => `${r.id},${r.name},${r.note === "" ? "" : `"${r.note}"`}`);
      expect(lines.sort()).to.deep.equal(expectedLines.sort());
    });
  }

  it("gives each copy of the write step its own shards, and a shard to share where copies outnumber shards", () => {
    expect(shardsOfCopy({ index: 0, count: 1 }, 4)).to.deep.equal([0, 1, 2, 3]);
    expect([0, 1].map((index) => shardsOfCopy({ index, count: 2 }, 5))).to.deep.equal([[0, 2, 4], [1, 3]]);
    expect([0, 1, 2, 3].map((index) => shardsOfCopy({ index, count: 4 }, 3))).to.deep.equal([[0], [1], [2], [0]]);
  });

  it("leaves no file under a final name when the job fails half way with its parts on worker threads", async () => {
    const elements: unknown[] = Array.from({ length: 2000 }, (_, i) => [i, "ok"]);
    elements.push({ not: "a row" }); // an object, and no columns to write it by
    await startSharedPool(1);
    const failure = await runPipeline((root) => root.apply(inManyBundles(elements)).apply(writeTextFiles({ prefix: `${dir}/broken`, suffix: ".csv", shards: 2, format: "csv", batchSize: 50 })), {
      runner: directRunner({ workers: 2, bundleSize: 2 }),
    }).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).to.include("writeTempFiles").and.include("objects need the columns");
    const entries = fs.readdirSync(dir);
    expect(entries.filter((f) => !f.startsWith("."))).to.deep.equal([]);
    expect(entries).to.have.length(1);
    expect(entries[0]).to.match(/^\.temp-broken-[0-9a-f]{12}$/);
  });

  it("refuses bad settings, naming the sink", () => {
    expect(() => writeTextFiles({ prefix: `${dir}/x`, format: "jsonl", header: ["a"] })).to.throw(`writeTextFiles(${dir}/x): JSON lines files have no header`);
    expect(() => writeTextFiles({ prefix: `${dir}/x`, format: "text", shards: 0 })).to.throw(/shards must be an integer from 1 to 99999, got 0/);
    expect(() => writeTextFiles({ prefix: `${dir}/`, format: "text" })).to.throw(/the prefix must end with a file name part/);
  });
});

describe("io: writeTextFiles to GCS", () => {
  let gcs: FakeGcs;
  before(async () => {
    gcs = await startFakeGcs();
  });
  after(() => gcs.close());

  for (const { name, build } of [
    { name: "one bundle (each temp object moved into place)", build: (values: string[]) => fromArray(values) },
    { name: "many bundles (temp objects streamed into one)", build: (values: string[]) => inManyBundles(values) },
  ]) {
    it(`writes gs:// shards from ${name}`, async () => {
      const bucket = `b-${name.split(" ")[0]}`;
      const lines = Array.from({ length: 300 }, (_, i) => `line ${i}`);
      const written = await runPipeline<beam.PCollection<string>>(
        (root) =>
          root.apply(build(lines)).apply(writeTextFiles({ prefix: `gs://${bucket}/out/part`, suffix: ".txt", shards: 2, format: "text", header: "# lines", batchSize: 40, gcs: { apiEndpoint: gcs.endpoint } })),
        { runner: directRunner({ bundleSize: 4 }) },
      );
      expect(written.sort()).to.deep.equal([`gs://${bucket}/out/part-00000-of-00002.txt`, `gs://${bucket}/out/part-00001-of-00002.txt`]);
      expect(gcs.names(bucket)).to.deep.equal(["out/part-00000-of-00002.txt", "out/part-00001-of-00002.txt"], "temp objects left behind");
      const all = gcs.names(bucket).flatMap((object) => {
        const text = gcs.get(bucket, object)!.toString("utf8");
        expect(text.startsWith("# lines\n")).to.equal(true);
        return text.split("\n").slice(1, -1);
      });
      expect(all.sort()).to.deep.equal([...lines].sort());
      expect(gcs.unhandled).to.deep.equal([]);
    });
  }
});
