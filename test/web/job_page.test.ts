/**
 * The job page and the aggregates dashboard of a running streaming job, in real headless Chromium:
 * the streaming pipeline runs on our runner against Google's Pub/Sub and Bigtable emulators while the
 * publisher sends the committed sample at a steady pace, and the page (served by web/, live over
 * server-sent events) is read the way a person reads it.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import "apache-beam";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import type { Page } from "playwright-core";
import { useEmulators } from "../support/emulators";
import { INSTANCE, PROJECT, streamingJobOnTopic } from "../support/streaming_job";
import { screenshot, useChromium } from "../support/browser";
import { until, stopIfStillRunning, within } from "../support/live_job";
import { goodTransactions, sampleBadRowCount, SAMPLE_FILES } from "../support/sample_rows";
import { directRunner, type DirectPipelineResult } from "../../runners/direct";
import { streamingPipeline } from "../../pipelines/streaming";
import { STREAMING_UI_OUTPUTS } from "../../pipelines/ui";
import { perCategory } from "../../pipelines/demo";
import { ingest, type IngestCounts } from "../../ingest/publisher";
import { closeBigtableClients, readRows } from "../../io/bigtable";
import { startJobUi, type JobUi } from "../../web/server";
import { revenueOf } from "../../transforms/transaction";

/** Slow enough that the page sees the messages flow for several seconds. */
const PUBLISH_RATE = 250;

describe("the job page and dashboard of a running streaming job, in Chromium", function () {
  this.timeout(120_000);
  useEmulators(["pubsub", "bigtable"]);
  const browser = useChromium();
  let ui: JobUi;
  let result: DirectPipelineResult;
  let state: JobState_Enum | undefined;
  let publishing: Promise<IngestCounts>;
  let publishingDone = false;
  let page: Page;
  let deadLetterDir: string;

  before(async function () {
    this.timeout(60_000);
    const { job, deadLetterDir: dir } = await streamingJobOnTopic("transactions-web", 30);
    deadLetterDir = dir;
    ui = await startJobUi({ port: 0 });
    result = (await directRunner().runAsync(streamingPipeline(job))) as DirectPipelineResult;
    ui.show(result, STREAMING_UI_OUTPUTS);
    publishing = ingest({ inputs: SAMPLE_FILES, topic: "transactions-web", projectId: PROJECT, eventTime: "now", rate: PUBLISH_RATE });
    publishing.then(() => (publishingDone = true), () => (publishingDone = true));
    page = await browser.page();
    await page.goto(ui.url);
  });

  after(async function () {
    this.timeout(60_000);
    await publishing?.catch(() => undefined);
    await stopIfStillRunning(result, state, "the web test ended before the job did");
    await ui?.close();
    await closeBigtableClients();
    if (deadLetterDir) fs.rmSync(deadLetterDir, { recursive: true, force: true });
  });

  /** The figures line of the graph box of step `name`. */
  const figures = (name: string) => page.locator(`g.node[data-step="${name}"] text.figures`).textContent();
  const countIn = async (name: string) => Number(/in ([\d,]+)/.exec((await figures(name)) ?? "")![1].replace(/,/g, ""));

  it("shows every step of the pipeline proto: top-level boxes, and every leaf once composites are opened", async () => {
    const transforms = Object.values(result.status().pipeline.components!.transforms);
    const topLevel = result.status().pipeline.rootTransformIds.map((id) => result.status().pipeline.components!.transforms[id].uniqueName);
    await page.locator("g.node").first().waitFor();
    const boxes = () => page.locator("g.node").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-step")!));
    expect((await boxes()).sort()).to.deep.equal([...topLevel].sort());

    await page.click("#expand-all");
    const shown = new Set(await boxes());
    const clusters = new Set(await page.locator("g.cluster").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-composite")!)));
    // Every transform is a box, an open composite, or inside a step the runner executes whole (a lifted combine).
    const unshown = transforms.map((t) => t.uniqueName).filter((name) => !shown.has(name) && !clusters.has(name) && ![...shown].some((box) => name.startsWith(`${box}/`)));
    expect(unshown).to.deep.equal([]);
    expect(shown.has("parsePubSubTransactions/validateTransactions/checkFields")).to.equal(true);
    // Fused stages are visible: the legend names each stage, and each box carries its stage's stripe.
    expect(await page.locator("#stage-legend [data-stage]").count()).to.equal(result.status().stages.length);
  });

  it("shows counts that rise while messages flow, and a watermark that advances", async () => {
    const parse = "parsePubSubTransactions/parsePubSubPayloads";
    await until("the page shows messages read", 30_000, async () => (await countIn(parse)) > 0);
    const firstCount = await countIn(parse);
    const watermarkOf = async () => page.locator('#stages tr[data-stage="stage-0"]').getAttribute("data-output-watermark");
    await until("the source stage has a watermark", 30_000, async () => /^\d+$/.test((await watermarkOf()) ?? ""));
    const firstWatermark = Number(await watermarkOf());
    await until("the count shown rises", 20_000, async () => (await countIn(parse)) > firstCount);
    await until("the watermark shown advances", 20_000, async () => Number(await watermarkOf()) > firstWatermark);
    expect(publishingDone, "the publisher was still sending while the page's figures rose").to.equal(false);
    await screenshot(page, "job-page-running");
    await page.click("#collapse-all");
    await screenshot(page, "job-page-running-overview", false);
  });

  it("counts every bad row of the input as a dead letter, by reason", async () => {
    await publishing;
    const bad = sampleBadRowCount();
    await until(`the page shows ${bad} dead letters`, 30_000, async () => (await page.textContent("#dead-letter-total")) === String(bad));
    const byReason = await page.locator("#dead-letters tr td:nth-child(3)").allTextContents();
    expect(byReason.reduce((n, c) => n + Number(c.replace(/,/g, "")), 0)).to.equal(bad);
  });

  it("drains the job to DONE with the Drain button", async () => {
    const published = (await publishing).published;
    await until("every published message is read", 30_000, () => result.progress().sourceElements >= published);
    await page.click("#drain");
    await until("the page says DONE", 60_000, async () => (await page.textContent("#job-state")) === "DONE");
    state = await result.waitUntilFinish(10_000);
    expect(JobState_Enum[state]).to.equal("DONE");
    expect(result.drainReason()).to.equal("drain requested from the web UI");
    // The transactions sink wrote a row per good row of the input, with no retry against a healthy emulator.
    const sink = page.locator('#sinks tr[data-sink="writeToBigtable(transacoes)"] td');
    await until("the sink's figures are final", 10_000, async () => (await sink.nth(2).textContent()) === goodTransactions().length.toLocaleString("en-US"));
    expect(await sink.nth(5).textContent()).to.equal("0");
    await screenshot(page, "job-page");
  });

  it("shows per-category totals on the dashboard equal to the summary's, and the top-5 channels and states of the input", async () => {
    expect(JobState_Enum[state!]).to.equal("DONE");
    const dashboard = await browser.page();
    await dashboard.goto(new URL("/dashboard", ui.url).toString());
    await dashboard.locator("#category-totals tr").first().waitFor();
    const shown = await dashboard.locator("#category-totals tr").evaluateAll((rows) =>
      rows.map((r) => ({ category: r.getAttribute("data-category"), revenue: r.getAttribute("data-revenue"), count: Number(r.getAttribute("data-count")) })),
    );
    const summary = perCategory(await readRows({ projectId: PROJECT, instanceId: INSTANCE, tableId: "receita_por_minuto" }), 0);
    expect(shown).to.deep.equal(summary.map((c) => ({ category: c.category, revenue: String(c.revenuePaise), count: c.count })));
    // After the drain every minute has had its on-time pane.
    expect(Number(await dashboard.textContent("#panes-on-time"))).to.be.greaterThan(0);

    const totals = (key: (t: ReturnType<typeof goodTransactions>[number]) => string, measure: (t: ReturnType<typeof goodTransactions>[number]) => number) => {
      const sums = new Map<string, number>();
      for (const t of goodTransactions()) sums.set(key(t), (sums.get(key(t)) ?? 0) + measure(t));
      return [...sums].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([name]) => name);
    };
    const names = (id: string) => dashboard.locator(`#${id} .bar`).evaluateAll((bars) => bars.map((b) => b.getAttribute("data-name")));
    expect(await names("top-channels")).to.deep.equal(totals((t) => t.salesChannel, revenueOf));
    expect(await names("top-states")).to.deep.equal(totals((t) => t.customerState, (t) => t.quantity));
    await dashboard.locator("#revenue-chart canvas").first().waitFor();
    await screenshot(dashboard, "dashboard");
    await screenshot(dashboard, "dashboard-overview", false);
  });

  it("`npm run pipeline` (the demo) prints its job page's URL first and serves the running job there", async () => {
    // The emulators of this suite are in the environment, so the demo reuses them (another instance, its own tables).
    const demo = spawn(process.execPath, ["-r", "./scripts/register.js", "pipelines/main.ts", "--ui-port=0", "--instance=web-demo", `--dead-letter=files:${path.join(deadLetterDir, "demo")}`], {
      cwd: path.resolve(__dirname, "..", ".."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    demo.stdout.on("data", (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => demo.on("exit", (code) => resolve(code)));
    try {
      await until("the demo prints a line", 30_000, () => stdout.includes("\n"));
      const first = stdout.split("\n")[0];
      expect(first).to.match(/^job page: http:\/\/127\.0\.0\.1:\d+\/ /);
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(first)![0];
      const demoPage = await browser.page();
      await demoPage.goto(url);
      await demoPage.locator('g.node[data-step="parsePubSubTransactions"]').waitFor({ timeout: 60_000 });
      expect(["RUNNING", "DRAINING", "DONE"]).to.include(await demoPage.textContent("#job-state"));
      expect(await within(exited, 90_000, "still running")).to.equal(0);
      expect(stdout).to.contain("summary");
    } finally {
      if (demo.exitCode === null) demo.kill("SIGKILL");
      await exited;
    }
  });
});
