import { expect } from "chai";
import "apache-beam";
import { directRunner } from "../../runners/direct";
import { fromArray, runPipeline } from "../../testing";
import { testStream } from "../../sdk/test_stream";
import { revenuePerCategoryPerMinute, stampEventTime, type CategoryMinute } from "../../transforms/revenue_per_minute";
import { revenueOf, type Transaction } from "../../transforms/transaction";
import { arriving, generatedTransactions, purchase } from "./transactions";
import { describeAtWorkerCounts, testWorkers } from "../support/worker_counts";

const MINUTE = 60_000;


describeAtWorkerCounts("transforms/revenue_per_minute: the dashboard aggregate", () => {
  it("updates an open minute every 5 s, finalizes it on time, then corrects it with late data", async () => {
    const stream = testStream<Transaction>()
      .addElements(arriving(purchase(1, "Books", 10, 1_000)), arriving(purchase(2, "Toys", 5, 2_000)))
      .advanceProcessingTime(5_000)
      .addElements(arriving(purchase(3, "Books", 20, 30_000)), arriving(purchase(4, "Books", 1, MINUTE + 1)))
      .advanceProcessingTime(5_000)
      .advanceWatermarkTo(MINUTE)
      .addElements(arriving(purchase(5, "Books", 100, 59_000)))
      .advanceWatermarkToInfinity();
    const rows = (await runPipeline((root) => root.apply(stream).apply(revenuePerCategoryPerMinute()), {
      runner: directRunner({ workers: testWorkers() }),
    })) as CategoryMinute[];
    const books = rows.filter((r) => r.category === "Books" && r.minuteStartMs === 0);
    expect(books.map((r) => [r.timing, r.update, r.revenuePaise, r.count])).to.deep.equal([
      ["EARLY", 0, 10, 1],
      ["EARLY", 1, 30, 2],
      ["ON_TIME", 2, 30, 2],
      ["LATE", 3, 130, 3],
    ]);
    const toys = rows.filter((r) => r.category === "Toys");
    expect(toys.map((r) => [r.timing, r.revenuePaise])).to.deep.equal([
      ["EARLY", 5],
      ["ON_TIME", 5],
    ]);
    const nextMinute = rows.filter((r) => r.minuteStartMs === MINUTE);
    expect(nextMinute.map((r) => [r.category, r.timing, r.revenuePaise])).to.deep.equal([
      ["Books", "EARLY", 1],
      ["Books", "ON_TIME", 1],
    ]);
  });

  it("over a bounded input stamped with event times: one on-time total per category and minute, matching a plain sum", async () => {
    const transactions = generatedTransactions(500).map((t, i) => ({ ...t, eventTimeMs: 1_700_000_000_000 + i * 1_000 }));
    const rows = (await runPipeline(
      (root) => root.apply(fromArray(transactions)).apply(stampEventTime()).apply(revenuePerCategoryPerMinute()),
      { runner: directRunner({ workers: testWorkers() }) },
    )) as CategoryMinute[];
    const expected = new Map<string, number>();
    for (const t of transactions) {
      const key = `${t.category}@${Math.floor(t.eventTimeMs / MINUTE) * MINUTE}`;
      expected.set(key, (expected.get(key) ?? 0) + revenueOf(t));
    }
    expect(rows.every((r) => r.timing === "ON_TIME")).to.equal(true);
    expect(rows.length).to.equal(expected.size);
    for (const r of rows) expect(r.revenuePaise).to.equal(expected.get(`${r.category}@${r.minuteStartMs}`)!);
  });
});
