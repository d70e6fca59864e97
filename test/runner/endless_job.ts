/**
 * A streaming job that never ends by itself, for the signal tests: a synthetic stream summed per
 * 100 ms window, run with the command lines' signal handling (cli/signals.ts). Prints "ready" once running, then the job's
 * final state and how many elements it read. `slow` makes every window's sink write take 10 s, so
 * that a drain is still in progress when a second signal arrives.
 */
import * as beam from "apache-beam";
import * as combiners from "apache-beam/transforms/combiners";
import { directRunner } from "../../runners/direct";
import { syntheticStream } from "../../io/synthetic_stream";
import { writeInBatches } from "../../io/batching_sink";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { sleepThenAccept } from "./slow_write";
import { drainOnSignals } from "../../cli/signals";

async function main(): Promise<void> {
  const slow = process.argv[2] === "slow";
  const runner = directRunner();
  const result = await runner.runAsync((root) => {
    root
      .apply(syntheticStream({ make: (i: number) => i, elementsPerSecond: 2000 }))
      .apply(beam.windowInto(beam.fixedWindows(0.1)))
      .apply(beam.groupGlobally<number>().combining((n) => n as number, combiners.sum, "sum"))
      .apply(writeInBatches("windowSums", (batch: unknown[]) => sleepThenAccept(batch, slow ? 10_000 : 0), { batchSize: 1 }));
  });
  drainOnSignals(result);
  process.stdout.write("ready\n");
  const state = await result.waitUntilFinish();
  process.stdout.write(`state ${JobState_Enum[state]} read ${result.progress().sourceElements}\n`);
  process.exit(state === JobState_Enum.DONE ? 0 : 1);
}

main().catch((error) => {
  process.stderr.write(`${error}\n`);
  process.exit(1);
});
