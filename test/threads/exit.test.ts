/**
 * What a command about to exit waits for, so that its exit handler's removal of temp folders comes
 * last: `stopAllThreads` ends every thread and lets none start after it (threads/project_thread.ts),
 * and `creationsSettled` waits, bounded, for the file creations in flight (io/files/removed_at_exit.ts).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { expect } from "chai";
import { creationsSettled, noteCreation } from "../../io/files/removed_at_exit";

const ROOT = path.join(__dirname, "..", "..");

describe("before a command exits", function () {
  this.timeout(60_000);

  it("stopAllThreads ends the running threads and refuses to start one after it", () => {
    const run = spawnSync(process.execPath, ["-r", "./scripts/register.js", "test/threads/exiting.ts"], { cwd: ROOT, encoding: "utf8", timeout: 50_000 });
    expect(run.status, run.stderr).to.equal(0);
    const seen = JSON.parse(run.stdout.trim()) as { cutOff: string; refused?: string };
    expect(seen.cutOff).to.match(/^pool thread \d was stopped while running threadOf of tasks\.ts$/);
    expect(seen.refused).to.equal("late thread not started: the process is exiting");
  });

  it("creationsSettled waits for a creation in flight, failed or not", async () => {
    let settledAt = 0;
    const creation = new Promise<never>((_, reject) => setTimeout(() => ((settledAt = Date.now()), reject(new Error("ENOENT"))), 200));
    creation.catch(() => undefined);
    noteCreation(creation);
    await creationsSettled(10_000);
    expect(settledAt).to.be.greaterThan(0);
  });

  it("creationsSettled gives up on a creation that outlasts its bound", async () => {
    let settle: () => void = () => undefined;
    noteCreation(new Promise<void>((resolve) => (settle = resolve)));
    const startedMs = Date.now();
    await creationsSettled(150);
    const waitedMs = Date.now() - startedMs;
    settle();
    expect(waitedMs).to.be.within(140, 5_000);
    await creationsSettled(1_000);
  });
});
