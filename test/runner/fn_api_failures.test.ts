/**
 * environment "process" when workers fail: a worker killed mid-job has its bundle retried once on a
 * fresh worker, with the output exact; a worker dying twice fails the job naming the step, with its
 * last lines; a worker that never connects fails the job within the bound, with what it printed.
 * No worker process outlives its job, nor its runner. A pool kept across jobs reuses its workers,
 * but never one of a job that failed.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as beam from "apache-beam";
import { directRunner } from "../../runners/direct";
import { SdkWorkerPool } from "../../runners/direct/execution/fn_api/sdk_worker_pool";
import { expectSameElements } from "../../testing";
import { FileCollection } from "../support/file_collect";
import { killAlways, killOnce } from "./worker_faults";

/** Worker processes that are children of this process (or of `parent`). */
function childWorkers(parent = process.pid): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("worker_boot")) out.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function failureOf(run: Promise<unknown>): Promise<Error> {
  try {
    await run;
  } catch (error) {
    return error as Error;
  }
  expect.fail("the job succeeded");
}

describe("environment=process: failing workers", function () {
  this.timeout(300_000);
  const numbers = Array.from({ length: 40 }, (_, i) => i);

  it("a worker killed with SIGKILL mid-job: its bundle is retried on a fresh worker, the output exact", async () => {
    const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fn-api-kill-")), "killed");
    const collection = new FileCollection();
    await directRunner({ environment: "process", workers: 2, bundleSize: 5 }).run(
      collection.collecting((root) =>
        root
          .apply(beam.create(numbers))
          .map(beam.withName("dieOnceAt17", (x: number) => {
            if (x === 17) killOnce(marker);
            return x * 10;
          }))
          .apply(beam.groupBy((x: number) => String(x % 3)))
          .map(beam.withName("sum", (kv: { key: string; value: Iterable<number> }) => ({ key: kv.key, sum: [...kv.value].reduce((a, b) => a + b, 0) }))),
      ),
    );
    expect(fs.existsSync(marker), "the worker was killed").to.equal(true);
    const sums = [0, 1, 2].map((r) => ({ key: String(r), sum: numbers.filter((x) => (x * 10) % 3 === r).reduce((a, x) => a + x * 10, 0) }));
    expectSameElements(collection.read().output, sums);
    expect(childWorkers()).to.deep.equal([]);
  });

  it("a worker dying twice on the same bundle fails the job, naming the step, with its last lines", async () => {
    const error = await failureOf(
      directRunner({ environment: "process", workers: 1 }).run((root) =>
        root.apply(beam.create([1, 2, 3])).map(beam.withName("alwaysDies", (x: number) => {
          killAlways();
          return x;
        })),
      ),
    );
    expect(error.message).to.include("attempt 2 of 2").and.to.include("SIGKILL").and.to.include("alwaysDies").and.to.include("about to die on purpose");
    expect(childWorkers()).to.deep.equal([]);
  });

  it("the runner killed with SIGKILL: its workers die too, even while a DoFn blocks their event loop", async () => {
    const markers = fs.mkdtempSync(path.join(os.tmpdir(), "fn-api-blocked-"));
    const runner = spawn(process.execPath, ["-r", path.join(__dirname, "../../scripts/register.js"), path.join(__dirname, "blocked_process_job.ts"), markers], { stdio: "ignore" });
    let workers: string[] = [];
    for (let waited = 0; workers.length < 2 && waited < 60_000; waited += 200) {
      await new Promise((r) => setTimeout(r, 200));
      workers = childWorkers(runner.pid);
    }
    expect(workers, "the job started its two workers").to.have.length(2);
    // Until a worker is in the blocking DoFn (it leaves a file named after its pid; the job's one bundle goes to one of them).
    const blocked = () => fs.readdirSync(markers).filter((pid) => workers.includes(pid));
    for (let waited = 0; blocked().length === 0 && waited < 60_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(blocked(), "a worker is in the blocking DoFn").to.have.length.greaterThan(0);
    runner.kill("SIGKILL");
    const alive = () => workers.filter((pid) => fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z "));
    for (let waited = 0; alive().length > 0 && waited < 10_000; waited += 200) await new Promise((r) => setTimeout(r, 200));
    expect(alive(), "workers still alive after their runner died").to.deep.equal([]);
    fs.rmSync(markers, { recursive: true, force: true });
  });

  it("a pool kept across jobs reuses its worker, and stops the worker of a job that failed", async () => {
    const pool = new SdkWorkerPool();
    try {
      const job = (fn: (x: number) => number) =>
        directRunner({ environment: "process", workers: 1, sdkWorkerPool: pool }).run((root) => root.apply(beam.create([1, 2])).map(beam.withName("step", fn)));
      await job((x) => x + 1);
      const first = childWorkers();
      expect(first, "one worker for the first job").to.have.length(1);
      await job((x) => x * 2);
      expect(childWorkers(), "the second job ran on the same worker").to.deep.equal(first);
      const error = await failureOf(
        job((x) => {
          throw new Error(`refusing ${x}`);
        }),
      );
      expect(error.message).to.include("refusing");
      for (let waited = 0; childWorkers().includes(first[0]) && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
      expect(childWorkers(), "the failed job's worker was stopped").to.not.include(first[0]);
    } finally {
      await pool.stop();
    }
    expect(childWorkers()).to.deep.equal([]);
  });

  it("a worker that never connects fails the job within the bound, with what it printed", async () => {
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `${saved ?? ""} -r ${path.join(__dirname, "../support/never_connect.js")}`;
    const started = Date.now();
    let error: Error;
    try {
      error = await failureOf(
        directRunner({ environment: "process", workers: 1, workerStartTimeoutMs: 3000 }).run((root) => root.apply(beam.create([1])).map((x: number) => x)),
      );
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
    expect(error.message).to.include("did not connect within 3000 ms").and.to.include("loading forever");
    expect(Date.now() - started).to.be.below(60_000);
    expect(childWorkers()).to.deep.equal([]);
  });
});
