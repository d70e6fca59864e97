/**
 * `report.html`, the batch ETL's report with charts, opened from disk in real headless Chromium:
 * it shows the report's numbers and loads nothing from anywhere (it must read offline).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import "apache-beam";
import { screenshot, useChromium } from "../support/browser";
import { SAMPLE_FILES } from "../support/sample_rows";
import { directRunner } from "../../runners/direct";
import { runBatch, type BatchReport } from "../../pipelines/batch";
import { writeReportHtml } from "../../web/report_html";

describe("report.html of the batch ETL, in Chromium", function () {
  this.timeout(120_000);
  const browser = useChromium();
  let output: string;
  let report: BatchReport;
  let file: string;

  before(async () => {
    output = fs.mkdtempSync(path.join(os.tmpdir(), "batch-report-"));
    report = await runBatch(SAMPLE_FILES, directRunner(), output);
    file = writeReportHtml(report, output);
  });

  after(() => {
    if (output) fs.rmSync(output, { recursive: true, force: true });
  });

  it("is written beside the batch outputs", () => {
    expect(path.dirname(file)).to.equal(output);
    expect(fs.readdirSync(output)).to.include("report.html");
    expect(fs.readdirSync(output).some((f) => f.startsWith("transacoes-"))).to.equal(true);
  });

  it("opens offline and shows the report's counters, top-5 channels and states, and (product, center) totals", async () => {
    const page = await browser.page();
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).toString());
    const whole = (n: number) => n.toLocaleString("en-US");
    const money = (x: number) => x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

    expect(await page.textContent("#records b")).to.equal(whole(report.valid + report.deadLetters.length));
    expect(await page.textContent("#valid b")).to.equal(whole(report.valid));
    expect(await page.textContent("#dead-letters b")).to.equal(whole(report.deadLetters.length));
    expect(await page.textContent("#pairs")).to.equal(whole(report.byProductAndCenter.length));
    expect(await page.locator("#product-center tbody tr").count()).to.equal(report.byProductAndCenter.length);

    const bars = (id: string) => page.locator(`#${id} g.bar`).evaluateAll((gs) => gs.map((g) => [g.getAttribute("data-label"), g.querySelector("text.value")!.textContent]));
    expect(await bars("top-channels")).to.deep.equal(report.topChannels.map((c) => [c.salesChannel, money(c.revenue)]));
    expect(await bars("top-states")).to.deep.equal(report.topStates.map((s) => [s.customerState, whole(s.quantity)]));
    expect(report.topChannels).to.have.length(5);
    expect(report.topStates).to.have.length(5);

    // Nothing but the file itself was loaded: no CDN, no fonts, no scripts from elsewhere.
    expect(requests).to.deep.equal([pathToFileURL(file).toString()]);
    await screenshot(page, "report");
  });
});
