/**
 * Short versions of the outage probes (chaos/outage.ts; `npm run chaos` runs the 10 s ones): Bigtable
 * and Pub/Sub each cut off for 3 s through a TCP proxy while the streaming pipeline, in its own
 * process, is killed with SIGKILL during the cut and restarted at once. (The in-process outages
 * without a kill: test/pipelines/outage.test.ts, pubsub_outage.test.ts.)
 */
import { expect } from "chai";
import "apache-beam";
import { closeBigtableClients } from "../io/bigtable";
import { outageProbe, type OutageProbeOptions } from "../chaos/outage";
import { useEmulators } from "./support/emulators";
import { goodTransactions, SAMPLE_CSV, SAMPLE_JSONL, sampleBadRowCount } from "./support/sample_rows";

for (const service of ["bigtable", "pubsub"] as OutageProbeOptions["service"][]) {
  describe(`chaos: ${service} unreachable for 3 s, the job killed during the cut`, function () {
    this.timeout(150_000);
    useEmulators(["pubsub", "bigtable"]);
    after(() => closeBigtableClients());

    it("every row, nothing acknowledged before it was written, nothing left unacknowledged", async () => {
      const result = await outageProbe({ service, inputs: [SAMPLE_CSV, SAMPLE_JSONL], cutMs: 3_000, killAfterMs: 1_500, timeoutMs: 90_000 });
      console.log(`      caught up ${result.catchUpSeconds} s after the restore; ${result.connectionsReset} connections reset`);
      const detail = JSON.stringify(result);
      expect(result.killed).to.equal(true);
      expect(result.connectionsReset, detail).to.be.greaterThan(0);
      expect(result.movedDuringCut, detail).to.equal(0);
      expect(result.looks).to.be.greaterThan(5);
      expect(result.ackedBeforeWritten, detail).to.equal(0);
      expect(result.catchUpSeconds, detail).to.not.equal(null);
      expect(result.exitCode, detail).to.equal(0);
      expect(result.published).to.equal(goodTransactions().length + sampleBadRowCount());
      expect(result.rowsWritten, detail).to.equal(goodTransactions().length);
      expect(result.rowsMissing + result.rowsExtra, detail).to.equal(0);
      expect(result.cellsMatch).to.equal(true);
      expect(result.deadLetterRows, detail).to.equal(sampleBadRowCount());
      expect(result.unacknowledgedLeft, detail).to.equal(0);
      expect(result.pass).to.equal(true);
    });
  });
}
