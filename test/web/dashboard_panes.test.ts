/**
 * The aggregates dashboard tells early, on-time and late panes apart, in real headless Chromium: a
 * TestStream drives the per-minute aggregate through early updates, the on-time pane and a late
 * correction (as in test/transforms/revenue_per_minute.test.ts), and the page shows each as such.
 */
import { expect } from "chai";
import "apache-beam";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { screenshot, useChromium } from "../support/browser";
import { until } from "../support/live_job";
import { arriving, purchase } from "../transforms/transactions";
import { directRunner, type DirectPipelineResult } from "../../runners/direct";
import { testStream } from "../../sdk/test_stream";
import { revenuePerCategoryPerMinute, type CategoryMinute } from "../../transforms/revenue_per_minute";
import type { Transaction } from "../../transforms/transaction";
import { startJobUi, type JobUi } from "../../web/server";
import { outputOf } from "../../web/step_output";

const MINUTE = 60_000;


describe("the aggregates dashboard's panes, in Chromium", function () {
  this.timeout(60_000);
  const browser = useChromium();
  // Served by the test itself: without Chromium the suite is skipped before any test, and no page is served.
  let served: JobUi | undefined;

  after(async () => {
    await served?.close();
  });

  it("shows early, on-time and late panes as such, and per-category totals from the latest pane of each minute", async () => {
    const stream = testStream<Transaction>()
      .addElements(arriving(purchase(1, "Books", 1_000, 1_000)), arriving(purchase(2, "Toys", 500, 2_000)))
      .advanceProcessingTime(5_000)
      .addElements(arriving(purchase(3, "Books", 2_000, 30_000)), arriving(purchase(4, "Books", 100, MINUTE + 1)))
      .advanceProcessingTime(5_000)
      .advanceWatermarkTo(MINUTE)
      .addElements(arriving(purchase(5, "Books", 10_000, 59_000)))
      .advanceWatermarkToInfinity();
    const ui = (served = await startJobUi({ port: 0 }));
    const result = (await directRunner().runAsync((root) => root.apply(stream).apply(revenuePerCategoryPerMinute()))) as DirectPipelineResult;
    const watched = { step: "revenuePerCategoryPerMinute" };
    ui.show(result, { revenuePerMinute: watched });
    // What the pipeline produced, seen here independently of the page.
    const produced: CategoryMinute[] = [];
    result.observe(outputOf(result.status().pipeline, watched), (e) => produced.push(e.value as CategoryMinute));
    expect(JobState_Enum[await result.waitUntilFinish(30_000)]).to.equal("DONE");
    const byTiming = (timing: string) => produced.filter((p) => p.timing === timing).length;
    expect(byTiming("LATE"), "the stream makes a late pane").to.be.greaterThan(0);

    const page = await browser.page();
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    await page.goto(new URL("/dashboard", ui.url).toString());
    await until("the dashboard shows the panes", 10_000, async () => (await page.textContent("#panes-late")) !== "0");
    expect(await page.textContent("#panes-early")).to.equal(String(byTiming("EARLY")));
    expect(await page.textContent("#panes-on-time")).to.equal(String(byTiming("ON_TIME")));
    expect(await page.textContent("#panes-late")).to.equal(String(byTiming("LATE")));
    const late = page.locator('#recent-panes tr[data-timing="LATE"] td.pane-LATE');
    expect(await late.count()).to.equal(byTiming("LATE"));
    expect(await late.first().textContent()).to.equal("late");

    // In paise — Books: ₹10 + ₹20 (+ ₹100 late) in minute 0 and ₹1 in minute 1; Toys: ₹5.
    const totals = await page.locator("#category-totals tr").evaluateAll((rows) =>
      rows.map((r) => [r.getAttribute("data-category"), r.getAttribute("data-revenue"), r.getAttribute("data-count")]),
    );
    expect(totals).to.deep.equal([
      ["Books", "13100", "4"],
      ["Toys", "500", "1"],
    ]);
    await page.locator("#revenue-chart canvas").first().waitFor();
    // Offline: the chart library too comes from the job's own server (from node_modules), no CDN.
    expect(requests.some((url) => url.endsWith("/vendor/uPlot.iife.min.js"))).to.equal(true);
    expect(requests.filter((url) => !url.startsWith(ui.url))).to.deep.equal([]);
    await screenshot(page, "dashboard-panes");
  });
});
