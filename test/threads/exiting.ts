/**
 * Run as a child process by `exit.test.ts`, because what it checks is for the whole process: once
 * `stopAllThreads` has begun, the thread running is ended and no thread starts any more. Prints
 * what it saw as one JSON line.
 */
import { startThreadPool, taskModule } from "../../threads/pool";
import { ProjectThread, stopAllThreads } from "../../threads/project_thread";

const TASKS = taskModule(__dirname, "tasks");

async function main(): Promise<void> {
  const pool = startThreadPool({ threads: 2, modules: [TASKS] });
  // A task the termination cuts off (it would take a minute), posted to one thread while the other answers.
  const cutOff = pool.run(TASKS, "threadOf", 60_000).then(
    () => "finished",
    (error: Error) => error.message,
  );
  await pool.run(TASKS, "threadOf", 0);
  await stopAllThreads(10_000);
  let refused: string | undefined;
  try {
    new ProjectThread({ name: "late thread", main: __filename });
  } catch (error) {
    refused = (error as Error).message;
  }
  console.log(JSON.stringify({ cutOff: await cutOff, refused }));
}

// Only as the child process: `mocha test/threads` (a folder) loads every .ts in it, this file too, and
// stopping every thread of the mocha process would break the suites after it.
if (require.main === module) void main();
