/** Progress on a terminal and off it, and the one logger's two formats. */
import { expect } from "chai";
import { progress } from "../../cli/progress";
import { configureLog, prettyLine } from "../../cli/log";

/** A stand-in for stderr that keeps what is written. */
function capture(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const stream = { text: "", isTTY, columns: 100, write(chunk: string) { stream.text += chunk; return true; }, cursorTo() { return true; }, clearLine() { return true; }, moveCursor() { return true; }, on() { return stream; }, removeListener() { return stream; } };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

describe("cli/progress: a bar on a terminal, a plain line otherwise", () => {
  it("off a terminal (piped, | tee): one plain line per period, and the last state at the end", async () => {
    const out = capture(false);
    const p = progress("batch", { stream: out, plainEveryMs: 50 });
    p.update(10, 100, "records");
    await new Promise((r) => setTimeout(r, 60));
    p.update(40, 100, "records");
    p.update(50, 100, "records");
    p.stop();
    expect(out.text).to.equal("batch: 40 of 100 (40%), records\nbatch: 50 of 100 (50%), records\n");
    expect(out.text).to.not.contain("\r");
  });

  it("a step that ran to its end: the count done is the total, whatever was estimated", () => {
    const piped = capture(false);
    const plain = progress("publishing", { stream: piped, plainEveryMs: 60_000 });
    plain.update(2021, 2029, "21 bad rows");
    plain.complete();
    expect(piped.text).to.equal("publishing: 2021 of 2021 (100%), 21 bad rows\n");
    const terminal = capture(true);
    const bar = progress("publishing", { stream: terminal });
    bar.update(2021, 2029, "msg/s");
    bar.complete();
    expect(terminal.text).to.contain("100% 2021/2021 msg/s");
  });

  it("on a terminal: a live bar redrawn in place", () => {
    const out = capture(true);
    const p = progress("publishing", { stream: out });
    p.update(25, 100, "msg/s");
    p.stop();
    // Drawn at the start of the line (ESC[1G) and cleared to its end (ESC[0K): redrawn in place.
    expect(out.text).to.contain("\u001b[1Gpublishing [========----------------------] 25% 25/100 msg/s\u001b[0K");
  });
});

describe("cli/log: one logger, json or pretty", () => {
  it("json: one object per line with the step, job and event_id fields", () => {
    const out = capture(false);
    configureLog("json", "debug", out).child({ job: "batch" }).debug({ step: "validate", event_id: "a.csv:7" }, "dead letter");
    const entry = JSON.parse(out.text);
    expect(entry).to.include({ level: 20, job: "batch", step: "validate", event_id: "a.csv:7", msg: "dead letter" });
  });

  it("pretty: the message, then the fields; warnings say so; below the level nothing", () => {
    const out = capture(false);
    const logger = configureLog("pretty", "info", out);
    logger.debug("hidden");
    logger.child({ job: "demo" }).warn({ step: "publish" }, "slow");
    expect(out.text).to.equal("warn: slow (job=demo step=publish)\n");
    expect(prettyLine(JSON.stringify({ level: 30, time: 1, msg: "done", n: 3 }))).to.equal("done (n=3)\n");
  });
});
