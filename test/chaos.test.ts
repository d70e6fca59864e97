/**
 * Short versions of the chaos probes (chaos/; `npm run chaos` runs the long ones): poison input
 * mixed with good messages, against the real emulators, the pipeline in its own process; an
 * overload of 3 × the capacity measured first, for 4 s; bad files through the batch command line. (The crash loop's: test/pipelines/crash.test.ts; the outages':
 * test/chaos_outage.test.ts.)
 */
import { expect } from "chai";
import "apache-beam";
import { closeBigtableClients } from "../io/bigtable";
import { poisonProbe } from "../chaos/poison";
import { badFilesProbe } from "../chaos/bad_files";
import { overloadProbe } from "../chaos/overload";
import { useEmulators } from "./support/emulators";

describe("chaos: poison input never stops the streaming pipeline", function () {
  this.timeout(240_000);
  useEmulators(["pubsub", "bigtable"]);
  after(() => closeBigtableClients());

  it("valid + dead letters + counted duplicates = published, every dead letter with a reason, nothing left unacknowledged", async () => {
    const result = await poisonProbe({ good: 400, malformed: 200, duplicates: 20, timeoutMs: 150_000 });
    expect(result.exitCode, JSON.stringify(result)).to.equal(0);
    expect(result.valid + result.deadLetters + result.duplicates).to.equal(result.published);
    expect(result.duplicates).to.equal(result.expectedDuplicates);
    expect(result.valid).to.be.within(400 - result.conflicts, 400);
    expect(result.rowsWritten).to.equal(result.valid);
    expect(result.deadLetterRows).to.equal(result.deadLetters);
    expect(result.deadLettersWithoutReason).to.equal(0);
    expect(result.unacknowledgedLeft).to.equal(0);
    expect(result.pass).to.equal(true);
  });
});

describe("chaos: an overload of 3 × the pipeline's measured capacity drains its backlog", function () {
  this.timeout(240_000);
  useEmulators(["pubsub", "bigtable"]);
  after(() => closeBigtableClients());

  it("every message handled, rows exact, memory bounded, nothing left unacknowledged", async () => {
    const result = await overloadProbe({ capacityMessages: 3_000, overloadFactor: 3, seconds: 4 });
    const detail = JSON.stringify(result);
    console.log(`      ${detail}`);
    expect(result.capacityMsgsPerS, detail).to.be.greaterThan(0);
    expect(result.publishRate).to.equal(result.capacityMsgsPerS * 3);
    expect(result.publishedPerSecond, detail).to.be.greaterThan(0);
    expect(result.published).to.equal(result.rowsExpected);
    expect(result.publishedAll, detail).to.equal(true);
    expect(result.backlogDrainedSecondsAfterPublishing, detail).to.not.equal(null);
    expect(result.exitCode, detail).to.equal(0);
    expect(result.handled, detail).to.equal(result.published);
    expect(result.rowsWritten, detail).to.equal(result.rowsExpected);
    expect(result.peakRssMb, detail).to.be.at.most(1500);
    expect(result.unacknowledgedLeft, detail).to.equal(0);
    expect(result.pass).to.equal(true);
  });
});

describe("chaos: bad files in batch end in dead letters, never a stack or a hang", function () {
  this.timeout(120_000);

  it("a 20 MB line under a 1 MiB limit costs memory bounded by the limit; a UTF-8 cut at the end and mixed CRLF / LF are read right", async () => {
    const result = await badFilesProbe({ lineMb: 20, only: /1 MiB|UTF-8 cut|mixed CRLF/ });
    expect(result.cases.map((c) => c.name)).to.have.length(3);
    for (const c of result.cases) expect(c.pass, JSON.stringify(c)).to.equal(true);
    const long = result.cases.find((c) => c.name.includes("1 MiB"))!;
    expect([long.valid, long.deadLetters, long.stack]).to.deep.equal([2, 1, false]);
    expect(long.extraRssMb, JSON.stringify(long)).to.be.at.most(4 + 64);
    expect(result.pass).to.equal(true);
  });
});
