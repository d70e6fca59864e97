/**
 * environment "process" when workers fail: a worker killed mid-job has its bundle retried once on a
 * fresh worker, with the output exact; a worker dying twice fails the job naming the step, with its
 * last lines; a worker that never connects fails the job within the bound, with what it printed.
 * No worker process outlives its job.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as beam from "apache-beam";
import { directRunner } from "../../runners/direct";
import { expectSameElements } from "../../testing";
import { FileCollection } from "../support/file_collect";
import { killAlways, killOnce } from "./worker_faults";

/** Worker processes that are children of this process. */
function childWorkers(): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("worker_boot")) out.push(pid);
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
