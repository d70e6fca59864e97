/**
 * The job page's Cancel button and error panel, in real headless Chromium, on jobs that need no
 * emulator: an endless synthetic stream (cancelled from the page, as a second Ctrl-C would), and a
 * job whose step throws (its error shown with the step's name). Also what the page says before a
 * job is given to it.
 */
import { expect } from "chai";
import * as beam from "apache-beam";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { useChromium } from "../support/browser";
import { until, stopIfStillRunning } from "../support/live_job";
import { directRunner, type DirectPipelineResult } from "../../runners/direct";
import { syntheticStream } from "../../io/synthetic_stream";
import { startJobUi, type JobUi } from "../../web/server";

describe("the job page's controls and errors, in Chromium", function () {
  this.timeout(60_000);
  const browser = useChromium();
  let ui: JobUi;
  let result: DirectPipelineResult | undefined;
  let state: JobState_Enum | undefined;

  beforeEach(async () => {
    ui = await startJobUi({ port: 0 });
    result = undefined;
    state = undefined;
  });

  afterEach(async () => {
    await stopIfStillRunning(result, state, "the test ended before the job did");
    await ui.close();
  });

  it("says it waits for the job until one is given, and refuses Drain then", async () => {
    const page = await browser.page();
    await page.goto(ui.url);
    await until("the page shows its state", 10_000, async () => (await page.textContent("#job-state")) === "STARTING");
    expect(await page.textContent("#graph")).to.contain("waiting for the job to start");
    const drain = await fetch(new URL("/api/drain", ui.url), { method: "POST" });
    expect(drain.status).to.equal(409);
  });

  it("cancels a running job with the Cancel button: the job ends CANCELLED, as on a second Ctrl-C", async () => {
    result = (await directRunner().runAsync((root) =>
      root.apply(syntheticStream<number>({ make: (i) => i, elementsPerSecond: 2_000 })).map(beam.withName("square", (i: number) => i * i)),
    )) as DirectPipelineResult;
    ui.show(result);
    const page = await browser.page();
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    await page.goto(ui.url);
    await until("the page shows the job running", 20_000, async () => (await page.textContent("#job-state")) === "RUNNING");
    // Offline: everything the page loads comes from the job's own server.
    expect(requests.filter((url) => !url.startsWith(ui.url))).to.deep.equal([]);
    await page.locator('g.node[data-step="map(square)"]').waitFor();
    await page.click("#cancel");
    state = await result.waitUntilFinish(20_000);
    expect(JobState_Enum[state]).to.equal("CANCELLED");
    expect(result.error()?.message).to.contain("cancel requested from the web UI");
    await until("the page says CANCELLED", 20_000, async () => (await page.textContent("#job-state")) === "CANCELLED");
  });

  it("shows the error a job failed with, naming the step, and marks the step failed", async () => {
    result = (await directRunner().runAsync((root) =>
      root.apply(syntheticStream<number>({ make: (i) => i, elementsPerSecond: 0, maxElements: 100 })).map(
        beam.withName("explode", (i: number) => {
          if (i === 50) throw new Error("element 50 is not welcome");
          return i;
        }),
      ),
    )) as DirectPipelineResult;
    ui.show(result);
    state = await result.waitUntilFinish(20_000);
    expect(JobState_Enum[state]).to.equal("FAILED");
    const page = await browser.page();
    await page.goto(ui.url);
    await until("the page says FAILED", 20_000, async () => (await page.textContent("#job-state")) === "FAILED");
    const errors = await page.locator("#errors li.error").allTextContents();
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/^map\(explode\): .*element 50 is not welcome/);
    expect(await page.locator('g.node[data-step="map(explode)"]').getAttribute("data-state")).to.equal("failed");
  });
});
