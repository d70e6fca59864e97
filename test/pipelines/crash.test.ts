/**
 * The crash loop, short (chaos/crash_loop.ts; `npm run chaos -- crash-loop` is the long one): the
 * committed sample published as a live stream while the streaming pipeline, in its own process, is
 * killed with SIGKILL at three random moments and restarted each time. Every unacknowledged message
 * comes back to the next run, and the tables end up exactly as expected: every good row once with
 * its cells, every bad record one dead letter, the per-minute aggregate the totals of the good
 * transactions (revenue to the paisa), nothing left in the subscription — acknowledging only what
 * was written, plus idempotent writes.
 */
import { expect } from "chai";
import "apache-beam";
import { useEmulators } from "../support/emulators";
import { closeBigtableClients } from "../../io/bigtable";
import { crashLoopProbe } from "../../chaos/crash_loop";
import { formatRupees } from "../../transforms/money";
import { goodTransactions, SAMPLE_FILES, sampleBadRowCount } from "../support/sample_rows";

describe("crash: kill -9 at random moments of a live stream, restart each time, and the tables are exactly right", function () {
  this.timeout(200_000);
  useEmulators(["pubsub", "bigtable"]);
  after(() => closeBigtableClients());

  it("loses nothing and duplicates nothing", async () => {
    // Small bundles: acknowledgements flow early in a short stream, so kills fall between them.
    const result = await crashLoopProbe({ inputs: SAMPLE_FILES, rate: 500, kills: 3, killAfterMs: [300, 2000], firstKillAfterAcknowledged: true, bundleSize: 100, timeoutMs: 90_000 });
    console.log(`      killed at (read, acknowledged): ${result.killedAt.map((k) => `(${k.read}, ${k.acknowledged})`).join(" ")}; caught up ${result.catchUpSeconds} s after the last kill`);
    expect(result.kills).to.equal(3);
    expect(result.published).to.equal(goodTransactions().length + sampleBadRowCount());
    expect(result.killedAt.some((k) => k.acknowledged > 0), "some run was killed after it had acknowledged messages").to.equal(true);
    expect(result.exitCode, JSON.stringify(result)).to.equal(0);
    expect(result.rowsExpected).to.equal(goodTransactions().length);
    expect(result.rowsWritten).to.equal(result.rowsExpected);
    expect(result.rowsMissing).to.equal(0);
    expect(result.rowsExtra).to.equal(0);
    expect(result.cellsMatch).to.equal(true);
    // The per-minute aggregate, added up per category: the revenue to the paisa and the purchases of the good transactions.
    const detail = JSON.stringify(result.aggregate);
    expect(result.aggregate.categoriesExpected).to.be.greaterThan(1);
    expect(result.aggregate.categoriesWrong, detail).to.equal(0);
    expect(result.aggregate.revenueWritten, detail).to.equal(formatRupees(goodTransactions().reduce((sum, t) => sum + t.finalPricePaise * t.quantity, 0)));
    expect(result.aggregate.purchasesCounted, detail).to.equal(goodTransactions().length);
    expect(result.deadLettersExpected).to.equal(sampleBadRowCount());
    expect(result.deadLetterRows).to.equal(result.deadLettersExpected);
    expect(result.unacknowledgedLeft).to.equal(0);
    expect(result.pass).to.equal(true);
  });
});
