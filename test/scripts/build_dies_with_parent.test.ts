import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

const root = path.resolve(__dirname, "../..");

/** Whether process `pid` still runs (a zombie waiting for init counts as ended). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("scripts/build.js: a build whose starter dies ends too", function () {
  this.timeout(30_000);

  it("the parent killed by SIGKILL while the build compiles: the build is gone within 2 s, before it emits anything", async () => {
    // A parent that starts the build, says its pid, and waits — as packProject does.
    const parent = spawn(
      process.execPath,
      ["-e", `const c = require("child_process").spawn(process.execPath, [${JSON.stringify(path.join(root, "scripts", "build.js"))}], { stdio: "ignore" }); console.log(c.pid); setInterval(() => {}, 1000);`],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const buildPid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      parent.once("exit", () => reject(new Error("the parent ended before starting the build")));
    });
    try {
      // The build's thread is up within a few hundred ms; createProgram alone takes seconds more.
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(alive(buildPid), "the build is running before its parent is killed").to.equal(true);
      parent.kill("SIGKILL");
      const deadline = Date.now() + 2_000;
      while (alive(buildPid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(alive(buildPid), `build ${buildPid} still running 2 s after its parent died`).to.equal(false);
    } finally {
      parent.kill("SIGKILL");
      if (alive(buildPid)) process.kill(buildPid, "SIGKILL");
    }
  });
});
