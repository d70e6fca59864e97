/**
 * Reading text files: local paths, `*` / `?` patterns, and `gs://` objects and patterns. GCS is a
 * fake (test/support/fake_gcs.ts, a local HTTP server speaking the JSON API): there is no official
 * GCS emulator. The client reaches it through `gcs: { apiEndpoint }` and sends it no credentials.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import * as beam from "apache-beam"; // first: the SDK's modules have an import cycle that only resolves from its root
import { Pipeline } from "apache-beam/internal/pipeline";
import { directRunner as sdkDirectRunner } from "apache-beam/runners/direct_runner";
import { announcedInputBytes } from "../../sdk/input_bytes";
import { readTextLines, forEachLineChunk } from "../../io/files/text_files";
import { expandLocalPattern, matchesWildcard } from "../../io/files/file_patterns";
import { runPipeline } from "../../testing";
import type { TextLine } from "../../transforms/text_line";
import { startFakeGcs, type FakeGcs } from "../support/fake_gcs";

describe("io: file patterns", () => {
  it("matches * and ? within one segment, and skips hidden names unless asked", () => {
    expect(matchesWildcard("orders-2024.csv", "*.csv")).to.equal(true);
    expect(matchesWildcard("orders.csv.bak", "*.csv")).to.equal(false);
    expect(matchesWildcard("part-07", "part-??")).to.equal(true);
    expect(matchesWildcard("part-7", "part-??")).to.equal(false);
    expect(matchesWildcard("a-b-c", "a*b*c")).to.equal(true);
    expect(matchesWildcard("abc", "a*b*d")).to.equal(false);
    expect(matchesWildcard(".hidden.csv", "*.csv")).to.equal(false);
    expect(matchesWildcard(".hidden.csv", ".*.csv")).to.equal(true);
    expect(matchesWildcard("x".repeat(5000), "*x*x*x*y")).to.equal(false); // no exponential backtracking
  });

  it("expands a local pattern to the matching files, sorted, and names a pattern that matches nothing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "patterns-"));
    for (const name of ["b.csv", "a.csv", "c.json", ".hidden.csv"]) fs.writeFileSync(path.join(dir, name), "x\n");
    fs.mkdirSync(path.join(dir, "sub.csv"));
    try {
      expect(expandLocalPattern(`${dir}/*.csv`)).to.deep.equal([`${dir}/a.csv`, `${dir}/b.csv`]);
      expect(() => expandLocalPattern(`${dir}/*.parquet`)).to.throw(`file pattern '${dir}/*.parquet' matches no file`);
      expect(() => expandLocalPattern(`${dir}/missing.csv`)).to.throw(`input file '${dir}/missing.csv' does not exist`);
      expect(() => expandLocalPattern(`${dir}/*/x.csv`)).to.throw(/wildcards are supported in the last path segment only/);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});

describe("io: readTextLines", () => {
  let dir: string;
  let gcs: FakeGcs;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "read-text-"));
    fs.writeFileSync(path.join(dir, "a.csv"), "h\r\n1\n2");
    fs.writeFileSync(path.join(dir, "b.csv"), "h\n3\n");
    fs.writeFileSync(path.join(dir, "c.json"), "{}\n");
    gcs = await startFakeGcs({ pageSize: 2 });
    gcs.put("bucket", "exports/part-1.jsonl", '{"n":1}\n{"n":2}\n');
    gcs.put("bucket", "exports/part-2.jsonl", '{"n":3}');
    gcs.put("bucket", "exports/part-3.txt", "not me\n");
    gcs.put("bucket", "exports/nested/part-4.jsonl", "nor me\n");
    gcs.put("bucket", "other/part-5.jsonl", "nor me\n");
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true });
    await gcs.close();
  });

  const linesOf = (found: TextLine[]) => found.map((l) => `${path.basename(l.file!)}:${l.lineNumber}:${l.line}`).sort();

  it("reads every file a local pattern matches, with file and line numbers, on both runners", async () => {
    for (const runner of [undefined, sdkDirectRunner()]) {
      const lines = await runPipeline((root) => root.apply(readTextLines(`${dir}/*.csv`)), { runner });
      expect(linesOf(lines)).to.deep.equal(["a.csv:1:h", "a.csv:2:1", "a.csv:3:2", "b.csv:1:h", "b.csv:2:3"]);
    }
  });

  it("announces to the runner the bytes of the local files it splits, not those of a compressed file or a gs:// pattern", () => {
    fs.writeFileSync(path.join(dir, "d.csv.gz"), zlib.gzipSync("h\n4\n"));
    const announced = (...patterns: string[]) => {
      const pipeline = new Pipeline();
      new beam.Root(pipeline).apply(readTextLines(patterns));
      return announcedInputBytes(pipeline.getProto().components!);
    };
    expect(announced(`${dir}/*.csv`)).to.equal("h\r\n1\n2".length + "h\n3\n".length);
    expect(announced(`${dir}/d.csv.gz`, "gs://bucket/exports/*.jsonl")).to.equal(0);
    fs.rmSync(path.join(dir, "d.csv.gz"));
  });

  it("fails at construction, naming the pattern, when a local pattern matches nothing", () => {
    expect(() => readTextLines([`${dir}/a.csv`, `${dir}/*.tsv`])).to.throw(`readTextLines: file pattern '${dir}/*.tsv' matches no file`);
  });

  it("reads gs:// objects and patterns at run time, paging through the listing, on both runners", async () => {
    for (const runner of [undefined, sdkDirectRunner()]) {
      const lines = await runPipeline(
        (root) => root.apply(readTextLines(["gs://bucket/exports/part-*.jsonl", "gs://bucket/other/part-5.jsonl"], { gcs: { apiEndpoint: gcs.endpoint } })),
        { runner },
      );
      expect(lines.map((l) => `${l.file}:${l.lineNumber}:${l.line}`).sort()).to.deep.equal([
        'gs://bucket/exports/part-1.jsonl:1:{"n":1}',
        'gs://bucket/exports/part-1.jsonl:2:{"n":2}',
        'gs://bucket/exports/part-2.jsonl:1:{"n":3}',
        "gs://bucket/other/part-5.jsonl:1:nor me",
      ]);
    }
    expect(gcs.listPages).to.be.greaterThan(2);
    expect(gcs.unhandled).to.deep.equal([]);
  });

  it("fails the job naming a gs:// pattern that matches nothing, or an object that does not exist", async () => {
    const options = { gcs: { apiEndpoint: gcs.endpoint } };
    const noMatch = runPipeline((root) => root.apply(readTextLines("gs://bucket/exports/*.parquet", options)));
    await noMatch.then(
      () => expect.fail("should have failed"),
      (e: Error) => expect(e.message).to.include("file pattern 'gs://bucket/exports/*.parquet' matches no object"),
    );
    const missing = runPipeline((root) => root.apply(readTextLines("gs://bucket/exports/gone.jsonl", options)));
    await missing.then(
      () => expect.fail("should have failed"),
      (e: Error) => expect(e.message).to.include("reading 'gs://bucket/exports/gone.jsonl' failed: no such object or bucket"),
    );
  });

  it("streams a large GCS object in pieces and decodes characters split between them", async () => {
    // 3 MiB of two-byte characters: the fake sends 64 KiB pieces, so some characters straddle two.
    const line = "é".repeat(1000);
    const count = 1600;
    gcs.put("bucket", "big.txt", `${line}\n`.repeat(count));
    let seen = 0;
    let chunks = 0;
    await forEachLineChunk(
      "gs://bucket/big.txt",
      (lines) => {
        chunks++;
        for (const l of lines) {
          if (l.line !== line) throw new Error(`line ${l.lineNumber} was cut or garbled`);
          seen++;
        }
      },
      { gcs: { apiEndpoint: gcs.endpoint } },
    );
    expect(seen).to.equal(count);
    expect(chunks).to.be.greaterThan(1);
  });
});

describe("io: readTextLines checks what it reads", () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "checked-lines-"))));
  after(() => fs.rmSync(dir, { recursive: true }));

  async function readAll(file: string, maxLineBytes?: number): Promise<TextLine[]> {
    const lines: TextLine[] = [];
    await forEachLineChunk(file, (chunk) => void lines.push(...chunk), { maxLineBytes });
    return lines;
  }

  it("delivers invalid UTF-8, NUL bytes and a truncated character at the end refused, the good lines as they are", async () => {
    const file = path.join(dir, "bad.csv");
    const cut = Buffer.from("é", "utf8").subarray(0, 1);
    fs.writeFileSync(file, Buffer.concat([Buffer.from("ok 1\r\nbad \n"), Buffer.from([0xff]), Buffer.from("\nnul \u0000 here\nok 2\nend "), cut]));
    const lines = await readAll(file);
    expect(lines.map((l) => [l.lineNumber, l.line, l.refusal])).to.deep.equal([
      [1, "ok 1", undefined],
      [2, "bad ", undefined],
      [3, "\uFFFD", "expected UTF-8 text, found bytes that are not valid UTF-8"],
      [4, "nul \u0000 here", "expected text, found a NUL byte at byte 5 of the line"],
      [5, "ok 2", undefined],
      [6, "end \uFFFD", "expected UTF-8 text, found bytes that are not valid UTF-8"],
    ]);
  });

  it("refuses a line past maxLineBytes without gathering it, and goes on with the next", async () => {
    const file = path.join(dir, "long.jsonl");
    // 3 MiB in one line: more than a read chunk (1 MiB), so the limit must hold across chunks.
    fs.writeFileSync(file, `short\n${"x".repeat(3 * 2 ** 20)}\nafter\n${"y".repeat(600)}\n`);
    const lines = await readAll(file, 500);
    expect(lines.map((l) => [l.lineNumber, l.line.length, l.refusal?.slice(0, 40)])).to.deep.equal([
      [1, 5, undefined],
      [2, 1024, "line longer than the limit of 500 bytes "],
      [3, 5, undefined],
      [4, 600, "line longer than the limit of 500 bytes "],
    ]);
  });

  it("joins a line within maxLineBytes that spans many read chunks, and passes the limit through readTextLines", async () => {
    const file = path.join(dir, "wide.jsonl");
    const wide = "w".repeat(2.5 * 2 ** 20);
    fs.writeFileSync(file, `a\n${wide}\nb\n${"z".repeat(5000)}\n`);
    expect((await readAll(file, 3 * 2 ** 20)).map((l) => [l.lineNumber, l.line === wide ? "wide" : l.line.length, l.refusal])).to.deep.equal([
      [1, 1, undefined],
      [2, "wide", undefined],
      [3, 1, undefined],
      [4, 5000, undefined],
    ]);
    const lines = await runPipeline((root) => root.apply(readTextLines(file, { maxLineBytes: 4096 })));
    expect(lines.map((l) => [l.lineNumber, l.refusal?.slice(0, 41)]).sort()).to.deep.equal([
      [1, undefined],
      [2, "line longer than the limit of 4096 bytes "],
      [3, undefined],
      [4, "line longer than the limit of 4096 bytes "],
    ]);
    expect(() => readTextLines(file, { maxLineBytes: 0 })).to.throw("readTextLines: maxLineBytes must be a positive whole number of bytes, got 0");
  });

  it("reads files of many read buffers several at once and after a reader stopped early, each line whole and once", async () => {
    // Lines of varied lengths, so that lines straddle every 64 KiB piece and 1 MiB read buffer.
    const rows = (tag: string) => Array.from({ length: 60_000 }, (_, i) => `${tag} ${i} ${"é".repeat(i % 13)}${"x".repeat((i * 7) % 90)}`);
    const files = ["a", "b", "c"].map((tag) => {
      const file = path.join(dir, `many-${tag}.txt`);
      fs.writeFileSync(file, rows(tag).join("\n") + "\n");
      return file;
    });
    expect(fs.statSync(files[0]).size).to.be.greaterThan(3 * 2 ** 20);
    // A reader whose consumer fails half way gives its buffers back once its read in flight settles.
    let seen = 0;
    const stopped = forEachLineChunk(files[0], (lines) => {
      seen += lines.length;
      if (seen > 10_000) throw new Error("consumer gave up");
    });
    // Three reads at once on this thread, each slowed by its consumer, while the one above stops.
    const reads = files.map(async (file) => {
      const lines: TextLine[] = [];
      await forEachLineChunk(file, async (batch) => {
        lines.push(...batch);
        await new Promise((resolve) => setImmediate(resolve));
      });
      return lines;
    });
    await stopped.then(
      () => expect.fail("should have failed"),
      (e: Error) => expect(e.message).to.equal("consumer gave up"),
    );
    const read = await Promise.all(reads);
    ["a", "b", "c"].forEach((tag, f) => {
      expect(read[f].map((l) => l.line), `file ${tag}`).to.deep.equal(rows(tag));
      expect(read[f].every((l, i) => l.lineNumber === i + 1 && l.refusal === undefined)).to.equal(true);
    });
    expect((await readAll(files[1])).map((l) => l.line)).to.deep.equal(rows("b"));
  });

  it("reads a .gz file decompressed, and refuses a gzip file not named .gz, naming it", async () => {
    const { gzipSync } = await import("zlib");
    const gz = path.join(dir, "orders.csv.gz");
    fs.writeFileSync(gz, gzipSync(Buffer.from("a\nb\nc")));
    expect((await readAll(gz)).map((l) => l.line)).to.deep.equal(["a", "b", "c"]);
    const misnamed = path.join(dir, "orders.csv");
    fs.copyFileSync(gz, misnamed);
    await readAll(misnamed).then(
      () => expect.fail("should have failed"),
      (e: Error) => expect(e.message).to.equal(`'${misnamed}' is gzip-compressed: name it with a .gz suffix to read it decompressed`),
    );
    fs.writeFileSync(path.join(dir, "broken.csv.gz"), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    await readAll(path.join(dir, "broken.csv.gz")).then(
      () => expect.fail("should have failed"),
      (e: Error) => expect(e.message).to.match(/^reading '.*broken\.csv\.gz' failed: /),
    );
  });
});
