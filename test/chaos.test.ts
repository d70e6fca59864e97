/**
 * Short versions of the chaos probes (chaos/; `npm run chaos` runs the long ones): poison input
 * mixed with good messages, against the real emulators, the pipeline in its own process.
 */
import { expect } from "chai";
import "apache-beam";
import { closeBigtableClients } from "../io/bigtable";
import { poisonProbe } from "../chaos/poison";
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
