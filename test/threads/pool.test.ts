/**
 * threads/pool.ts: tasks run on every thread of the pool, results come back (buffers moved), a
 * task's error is the caller's, and a thread that dies fails its task and the pool, naming the thread.
 */
import { expect } from "chai";
import { startThreadPool, taskModule, type ThreadPool } from "../../threads/pool";

const TASKS = taskModule(__dirname, "tasks");

/** The error `promise` rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (error: Error) => error,
  );
}

describe("thread pool", function () {
  this.timeout(60_000);
  let pool: ThreadPool | undefined;
  afterEach(async () => pool?.destroy());

  it("runs tasks on every thread at once, and hands back what they return", async () => {
    pool = startThreadPool({ threads: 2, modules: [TASKS] });
    const ids = await Promise.all([200, 200, 200, 200].map((ms) => pool!.run<number, number>(TASKS, "threadOf", ms)));
    expect(new Set(ids).size).to.equal(2);
    expect(ids).to.not.include(0);
    const { bytes } = await pool.run<number, { bytes: Uint8Array }>(TASKS, "countingBytes", 1000);
    expect(bytes.length).to.equal(1000);
    expect(bytes[999]).to.equal(999 % 256);
  });

  it("rejects a task with the error it threw, and goes on running tasks", async () => {
    pool = startThreadPool({ threads: 1, modules: [TASKS] });
    const error = await rejection(pool.run(TASKS, "refuse", "no reason"));
    expect(error.name).to.equal("RangeError");
    expect(error.message).to.equal("refused: no reason");
    expect(await pool.run(TASKS, "threadOf", 0)).to.be.a("number");
    expect((await rejection(pool.run(TASKS, "nothing", 0))).message).to.match(/exports no function nothing/);
  });

  it("fails the task of a thread that dies, naming the thread and the task, and every task after it", async () => {
    pool = startThreadPool({ threads: 2, modules: [TASKS] });
    const dying = rejection(pool.run(TASKS, "exitThread", 3));
    const waiting = [pool.run(TASKS, "threadOf", 2_000), pool.run(TASKS, "threadOf", 0)].map(rejection);
    expect((await dying).message).to.match(/^pool thread \d exited \(code 3\) while running exitThread of tasks\.ts$/);
    await Promise.all(waiting);
    expect((await rejection(pool.run(TASKS, "threadOf", 0))).message).to.match(/^pool thread \d exited \(code 3\)/);
  });

  it("starts a thread knowing where the starting thread found its modules", async () => {
    // This file imports chai, whose index requires "./lib/chai"; the thread's code never loads chai,
    // so only the hand-off can have told it where that is.
    pool = startThreadPool({ threads: 1, modules: [TASKS] });
    expect(await pool.run<string, boolean>(TASKS, "knowsWhereToFind", "./lib/chai")).to.equal(true);
    expect(await pool.run<string, boolean>(TASKS, "knowsWhereToFind", "a-module-nobody-asked-for")).to.equal(false);
  });

  it("close waits for the tasks asked for", async () => {
    pool = startThreadPool({ threads: 1, modules: [TASKS] });
    const tasks = [pool.run(TASKS, "threadOf", 100), pool.run(TASKS, "threadOf", 100)];
    await pool.close();
    expect((await Promise.all(tasks)).every((id) => typeof id === "number")).to.equal(true);
    expect((await rejection(pool.run(TASKS, "threadOf", 0))).message).to.equal("the thread pool was closed");
  });
});
