/**
 * Splitting text files (io/files/file_splits.ts) and reading them split: every line is read exactly
 * once, by the split its first byte is in, with its true line number; compressed files are one split;
 * a file read by two workers gives what one thread reads; `gs://` objects split alike, read by range.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gcsObjectSplits, localFileSplits } from "../../io/files/file_splits";
import { forEachLineChunk, readTextLines } from "../../io/files/text_files";
import type { TextLine } from "../../transforms/text_line";
import { directRunner } from "../../runners/direct";
import { runPipeline } from "../../testing";
import { startFakeGcs, type FakeGcs } from "../support/fake_gcs";

describe("io: text files read in splits", () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "splits-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  async function linesOfSplits(file: string, splitBytes: number): Promise<TextLine[]> {
    const lines: TextLine[] = [];
    for (const split of await localFileSplits(file, splitBytes)) await forEachLineChunk(file, (batch) => void lines.push(...batch), { split });
    return lines;
  }

  it("reads every line exactly once with its line number, whatever the split size (CRLF, no final newline, empty lines)", async () => {
    const rows = Array.from({ length: 200 }, (_, i) => (i % 17 === 0 ? "" : `row ${i} ${"é".repeat(i % 5)}`));
    for (const [name, text] of [
      ["lf.txt", rows.join("\n") + "\n"],
      ["crlf.txt", rows.join("\r\n")],
    ]) {
      const file = write(name, text);
      const whole: TextLine[] = [];
      await forEachLineChunk(file, (batch) => void whole.push(...batch));
      for (const splitBytes of [1, 7, 64, 1000, 1 << 20]) {
        expect(await linesOfSplits(file, splitBytes), `${name} in splits of ${splitBytes} bytes`).to.deep.equal(whole);
      }
      expect(whole.map((l) => l.line)).to.deep.equal(rows);
    }
  });

  it("starts every split at a record start and covers the file without gaps", async () => {
    const file = write("starts.txt", "aaaa\nbb\ncccccc\nd\n");
    const splits = await localFileSplits(file, 3);
    expect(splits.map((s) => [s.start, s.end, s.firstLine])).to.deep.equal([
      [0, 5, 1],
      [5, 8, 2],
      [8, 15, 3],
      [15, 17, 4],
    ]);
  });

  it("keeps a compressed file and an empty one as one split", async () => {
    const gz = write("data.csv.gz", "x".repeat(100));
    expect(await localFileSplits(gz, 10)).to.deep.equal([{ file: gz, start: 0, end: Infinity, firstLine: 1 }]);
    const empty = write("empty.txt", "");
    expect(await linesOfSplits(empty, 10)).to.deep.equal([]);
  });

  it("a file larger than one split, read on 2 workers, gives the lines one thread reads", async () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => `line number ${i} with some padding to make the file larger than one split`);
    const file = write("big.txt", rows.join("\n") + "\n");
    expect((await localFileSplits(file)).length).to.be.greaterThan(1);
    const read = (workers: number) =>
      runPipeline((root) => root.apply(readTextLines(file)).map((l: TextLine) => `${l.lineNumber}:${l.line}`), { runner: directRunner({ workers }) });
    const sorted = (lines: unknown) => (lines as string[]).slice().sort();
    const expected = sorted(rows.map((r, i) => `${i + 1}:${r}`));
    expect(sorted(await read(1))).to.deep.equal(expected);
    expect(sorted(await read(2))).to.deep.equal(expected);
  });

  describe("gs:// objects, split within (the fake GCS of test/support/fake_gcs.ts: there is no official GCS emulator)", () => {
    let gcs: FakeGcs;
    before(async () => (gcs = await startFakeGcs()));
    after(async () => gcs?.close());

    it("cuts an object at record starts with its line numbers, each split read by one ranged request", async () => {
      const rows = Array.from({ length: 300 }, (_, i) => (i % 13 === 0 ? "" : `row ${i} ${"é".repeat(i % 4)}`));
      gcs.put("bucket", "lines.txt", rows.join("\n"));
      const uri = "gs://bucket/lines.txt";
      const options = { apiEndpoint: gcs.endpoint };
      const whole: TextLine[] = [];
      await forEachLineChunk(uri, (batch) => void whole.push(...batch), { gcs: options });
      const splits = await gcsObjectSplits(uri, options, 100);
      expect(splits.length).to.be.greaterThan(5);
      expect(splits[0].start).to.equal(0);
      splits.slice(1).forEach((split, i) => expect(split.start, `split ${i + 1}`).to.equal(splits[i].end));
      expect(splits[splits.length - 1].end).to.equal(gcs.get("bucket", "lines.txt")!.length);
      gcs.rangedReads.length = 0;
      const lines: TextLine[] = [];
      for (const split of splits) await forEachLineChunk(uri, (batch) => void lines.push(...batch), { gcs: options, split });
      expect(lines).to.deep.equal(whole);
      expect(gcs.rangedReads.map((r) => [r.first, r.last + 1])).to.deep.equal(splits.map((s) => [s.start, s.end]));
    });

    it("an object larger than one split, read on 2 workers, gives the lines one thread reads; a missing object is named", async () => {
      const rows = Array.from({ length: 20_000 }, (_, i) => `line number ${i} with some padding to make the object larger than one split`);
      gcs.put("bucket", "big.txt", rows.join("\n") + "\n");
      const options = { apiEndpoint: gcs.endpoint };
      expect((await gcsObjectSplits("gs://bucket/big.txt", options)).length).to.be.greaterThan(1);
      gcs.rangedReads.length = 0;
      const lines = await runPipeline((root) => root.apply(readTextLines("gs://bucket/big.txt", { gcs: options })).map((l: TextLine) => `${l.lineNumber}:${l.line}`), {
        runner: directRunner({ workers: 2 }),
      });
      expect((lines as string[]).slice().sort()).to.deep.equal(rows.map((r, i) => `${i + 1}:${r}`).sort());
      expect(gcs.rangedReads.length).to.be.greaterThan(1);
      await gcsObjectSplits("gs://bucket/gone.txt", options).then(
        () => expect.fail("a missing object was split"),
        (e: Error) => expect(e.message).to.include("reading 'gs://bucket/gone.txt' failed: no such object or bucket"),
      );
    });
  });
});
