/**
 * One build of the checkout at a time (runners/dataflow/build_lock.ts): a build removes dist/ and
 * writes it anew, so two at once would delete each other's files. Checked with a second process
 * holding the lock, and with the locks a dead owner leaves behind.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { withBuildLock } from "../../runners/dataflow/build_lock";

const ROOT = path.join(__dirname, "..", "..");

describe("one build at a time (the build lock)", () => {
  let dir: string;
  let lock: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "build-lock-"));
    lock = path.join(dir, "build.lock");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("waits for another process's build to end before its own starts", async () => {
    const log = path.join(dir, "log");
    // The other process takes the lock, says so, holds it for 600 ms and notes when it lets go.
    const holder = spawn(process.execPath, ["-r", "./scripts/register.js", "-e", `
      const fs = require("fs");
      const { withBuildLock } = require("./runners/dataflow/build_lock");
      withBuildLock(${JSON.stringify(lock)}, () => {
        console.log("holding");
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
        fs.appendFileSync(${JSON.stringify(log)}, "other ends\\n");
      });`], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<number | null>((resolve) => holder.on("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("holding") && resolve());
      holder.on("exit", () => reject(new Error("the other process ended without taking the lock")));
    });
    withBuildLock(lock, () => fs.appendFileSync(log, "ours starts\n"));
    expect(await exited).to.equal(0);
    expect(fs.readFileSync(log, "utf8")).to.equal("other ends\nours starts\n");
    expect(fs.existsSync(lock), "released").to.equal(false);
  });

  it("takes over the lock of an owner that died, and the lock of one that died before it wrote its pid", () => {
    fs.mkdirSync(lock);
    fs.writeFileSync(path.join(lock, "pid"), "999999999");
    expect(withBuildLock(lock, () => "built", 2_000)).to.equal("built");
    fs.mkdirSync(lock);
    const longAgo = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, longAgo, longAgo);
    expect(withBuildLock(lock, () => "built again", 2_000)).to.equal("built again");
  });

  it("gives up after its bound, naming the owner and the folder to remove, and releases the lock when the build throws", () => {
    fs.mkdirSync(lock);
    fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
    expect(() => withBuildLock(lock, () => "never", 300)).to.throw(`another build of this project (pid ${process.pid}) has held ${lock} for 0.3 s; if no build is running, remove that folder`);
    fs.rmSync(lock, { recursive: true });
    expect(() => withBuildLock(lock, () => { throw new Error("type errors"); })).to.throw("type errors");
    expect(fs.existsSync(lock)).to.equal(false);
  });
});
