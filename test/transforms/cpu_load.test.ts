import { expect } from "chai";
import * as crypto from "crypto";
import { directRunner } from "../../runners/direct";
import { fromArray, runPipeline } from "../../testing";
import { sha256Rounds } from "../../transforms/sha256";
import { withCpuLoad } from "../../transforms/cpu_load";
import type { TextLine } from "../../transforms/text_line";
import { describeAtWorkerCounts, testWorkers } from "../support/worker_counts";
import { onJobThread } from "../runner/thread_probe";

/** The rounds as node:crypto computes them: the hash of the text, then of each digest's hex. */
function cryptoRounds(text: string, rounds: number): string {
  let digest = text;
  for (let i = 0; i < rounds; i++) digest = crypto.hash("sha256", digest, "hex");
  return digest;
}

/** A text of `bytes` UTF-8 bytes, cycling through 1-, 2-, 3- and 4-byte characters when `mixed`. */
function textOfBytes(bytes: number, mixed: boolean): string {
  const characters = mixed ? ["a", "é", "€", "😀"] : ["x"];
  let text = "";
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const next = characters[i % characters.length];
    const size = Buffer.byteLength(next);
    text += length + size <= bytes ? next : "z";
    length += length + size <= bytes ? size : 1;
  }
  return text;
}

describe("transforms/sha256: SHA-256 rounds in JavaScript", () => {
  it("gives node:crypto's digests at every padding boundary, for ASCII and multibyte UTF-8", () => {
    // 55/56 bytes: the last whose length fits its block; 63/64/65: around a whole block; and two blocks.
    const lengths = [0, 1, 2, 3, 31, 32, 54, 55, 56, 57, 62, 63, 64, 65, 66, 111, 119, 120, 127, 128, 129, 191, 192, 1000, 4095, 100_000];
    for (const bytes of lengths) {
      for (const mixed of [false, true]) {
        const text = textOfBytes(bytes, mixed);
        expect(Buffer.byteLength(text), `the ${bytes}-byte text`).to.equal(bytes);
        for (const rounds of [1, 2, 7]) expect(sha256Rounds(text, rounds), `${bytes} bytes${mixed ? " mixed" : ""}, ${rounds} round(s)`).to.equal(cryptoRounds(text, rounds));
      }
    }
  });

  it("gives node:crypto's digests for many random texts and the CSV lines the knob hashes, over 100 rounds", () => {
    let seed = 13;
    const random = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 300; i++) {
      const text = String.fromCodePoint(...Array.from({ length: Math.floor(random() * 200) }, () => (random() < 0.8 ? 32 + Math.floor(random() * 95) : 0xa0 + Math.floor(random() * 0x2000))));
      expect(sha256Rounds(text, 1), JSON.stringify(text)).to.equal(cryptoRounds(text, 1));
    }
    // A lone surrogate: both encode it as U+FFFD.
    expect(sha256Rounds("a\ud800b", 2)).to.equal(cryptoRounds("a\ud800b", 2));
    const line = "TX00000042,2024-03-05,14:07:09,P0042,Electrónicos,3,1999.90,0.05,online,UPI,SP,C042,CD07,entregue";
    expect(sha256Rounds(line, 100)).to.equal(cryptoRounds(line, 100));
  });

  it("returns the text itself at 0 rounds", () => {
    expect(sha256Rounds("some line", 0)).to.equal("some line");
  });
});

describeAtWorkerCounts("transforms/cpu_load: withCpuLoad in a pipeline", () => {
  it("passes every record through unchanged, hashing it on whichever thread runs the stage", async function () {
    this.timeout(30_000);
    const lines: TextLine[] = Array.from({ length: 2000 }, (_, i) => ({ line: `line ${i},é€`, lineNumber: i + 1 }));
    const out = await runPipeline(
      (root) => withCpuLoad(root.apply(fromArray(lines)), 5).map((line: TextLine) => ({ ...line, onJobThread: onJobThread() })),
      { runner: directRunner({ workers: testWorkers(), bundleSize: 1000 }) },
    );
    expect(out.map(({ line, lineNumber }) => ({ line, lineNumber })).sort((a, b) => a.lineNumber! - b.lineNumber!)).to.deep.equal(lines);
    const onWorkerThread = out.filter((line) => !line.onJobThread).length;
    if (testWorkers() === 1) expect(onWorkerThread, "records on a worker thread at 1 worker").to.equal(0);
    else expect(onWorkerThread, "records on a worker thread at 2 workers").to.be.greaterThan(0);
  });
});

describe("transforms/cpu_load: withCpuLoad's rounds", () => {
  it("adds no step at 0 rounds and rejects rounds that are not a whole number of at least 0", async () => {
    const lines: TextLine[] = [{ line: "a" }, { line: "b" }];
    const out = await runPipeline((root) => {
      const input = root.apply(fromArray(lines));
      expect(withCpuLoad(input, 0)).to.equal(input);
      for (const rounds of [-1, 1.5, NaN]) expect(() => withCpuLoad(input, rounds)).to.throw(`cpu load needs a whole number of rounds of at least 0, got ${rounds}`);
      return input;
    }, { runner: directRunner({ workers: 1 }) });
    expect(out).to.deep.equal(lines);
  });
});
